import { setImmediate as nextTurn } from 'node:timers/promises';
import type { MetricPoint } from '../store/types.js';
import type { PromSample } from './prom-text.js';
import { NodeGpus, PointBuilder } from './dcgm-build.js';
import {
  FB_FREE,
  FB_USED,
  GPU_LABELS,
  GPU_UTIL,
  GR_ENGINE,
  MIG_LABELS,
  newEntity,
  uuidOf,
  type DcgmLabelNames,
  type Entity,
} from './dcgm-entity.js';

/**
 * Mapping from dcgm-exporter samples to catalog points: one point per GPU (or MIG slice) per
 * pod, plus one per physical GPU per node. The store aggregates per object (mean/max), so
 * nothing is averaged here except MIG slices into their node GPU.
 */

export { GPU_DUTY_CYCLE, GPU_MEMORY_UTILIZATION, type DcgmLabelNames } from './dcgm-entity.js';

/** The only families read; the parser skips every other line. */
export const DCGM_FAMILIES: ReadonlySet<string> = new Set([GR_ENGINE, GPU_UTIL, FB_USED, FB_FREE]);

/** The points of one scrape's samples (pure). */
export function dcgmPoints(samples: readonly PromSample[], names: DcgmLabelNames, scrapeMs: number): MetricPoint[] {
  const series = new DcgmSeries(names);
  series.startPoll();
  for (const s of samples) series.add(s);
  return series.points(scrapeMs);
}

/** The labels dcgmPoints reads; a parser may drop every other one. */
export function dcgmLabelsRead(names: DcgmLabelNames): ReadonlySet<string> {
  return new Set(['UUID', 'uuid', 'gpu', 'Hostname', 'hostname', ...GPU_LABELS, ...MIG_LABELS, names.pod, names.namespace, names.container, ...names.node]);
}

/**
 * Samples grouped into entities as they are parsed, so a caller can stream a body through it.
 * One instance serves every poll of a source: a series keeps its entity (and the targets and
 * labels derived from it) from poll to poll, so a steady exporter costs new points per poll
 * and little else. Values never carry over: an entity's first sample in a poll resets them.
 */
export class DcgmSeries {
  private poll = 0;
  /** This poll's entities in order of first appearance, which is the order of the points. */
  private current: Entity[] = [];
  /** By label object: a parser sharing label objects (LabelSets) makes this the usual path. */
  private readonly byLabels = new WeakMap<object, Entity>();
  /**
   * By GPU UUID, then the other labels that tell series apart (sameSeries), so label objects of
   * one series (other label text, e.g. an extra label the mapping ignores) always share one
   * entity. Entities the last poll did not see are dropped.
   */
  private readonly byUuid = new Map<string, Entity[]>();
  private readonly nodes = new NodeGpus();
  /** Besides the UUID, the labels that tell series apart (see sameSeries). */
  private readonly seriesLabels: readonly string[];

  constructor(private readonly names: DcgmLabelNames) {
    this.seriesLabels = [names.pod, names.namespace, names.container, 'GPU_I_ID', 'gpu', 'Hostname', 'hostname'];
  }

  /** Starts a poll: samples added from now on are its own; series the last poll did not see are forgotten. */
  startPoll(): void {
    const seen = (e: Entity) => e.poll === this.poll;
    for (const [uuid, entities] of this.byUuid) {
      if (entities.every(seen)) continue;
      for (const e of entities) if (!seen(e)) e.gone = true;
      const kept = entities.filter(seen);
      if (kept.length === 0) this.byUuid.delete(uuid);
      else this.byUuid.set(uuid, kept);
    }
    this.poll++;
    this.current = [];
  }

  add(s: PromSample): void {
    if (!Number.isFinite(s.value)) return;
    const e = this.entity(s.labels);
    if (s.timestampMs !== undefined) e.tsMs = Math.max(e.tsMs ?? 0, s.timestampMs);
    if (s.name === GR_ENGINE) e.gr = s.value;
    else if (s.name === GPU_UTIL) e.util = s.value;
    else if (s.name === FB_USED) e.fbUsed = s.value;
    else if (s.name === FB_FREE) e.fbFree = s.value;
  }

  points(scrapeMs: number): MetricPoint[] {
    const build = new PointBuilder(this.current, this.names, scrapeMs, this.nodes);
    for (const e of this.current) build.add(e);
    return build.finish();
  }

  /** points(), letting the event loop run between slices of 1 000 entities. */
  async pointsInTurns(scrapeMs: number): Promise<MetricPoint[]> {
    const entities = this.current;
    const build = new PointBuilder(entities, this.names, scrapeMs, this.nodes);
    for (let i = 0; i < entities.length; i++) {
      build.add(entities[i] as Entity);
      if (i % 1_000 === 999) await nextTurn();
    }
    return build.finish();
  }

  private entity(labels: Record<string, string>): Entity {
    let e = this.byLabels.get(labels);
    if (e === undefined || e.gone) {
      e = this.seriesOf(labels);
      this.byLabels.set(labels, e);
    }
    if (e.poll !== this.poll) {
      // The series' first sample in this poll: nothing read by an earlier poll may show through.
      e.poll = this.poll;
      e.gr = e.util = e.fbUsed = e.fbFree = e.tsMs = undefined;
      if (e.labels !== labels) {
        e.labels = labels;
        e.derived = undefined;
      }
      this.current.push(e);
    }
    return e;
  }

  /** The entity of the series these labels belong to; a new one for a series not seen before. Only for a label object not seen before. */
  private seriesOf(labels: Record<string, string>): Entity {
    const uuid = uuidOf(labels);
    let entities = this.byUuid.get(uuid);
    if (entities === undefined) this.byUuid.set(uuid, (entities = []));
    let e = entities.find((other) => this.sameSeries(other.labels, labels));
    if (e === undefined) entities.push((e = newEntity(labels)));
    return e;
  }

  /**
   * The families of one exporter series share its labels. Besides the UUID, those that tell
   * series apart: host, GPU index, MIG slice, and the pod using it (a time-sliced GPU repeats
   * its series per pod).
   */
  private sameSeries(a: Record<string, string>, b: Record<string, string>): boolean {
    return this.seriesLabels.every((k) => a[k] === b[k]);
  }
}
