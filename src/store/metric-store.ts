import type { MetricPoint, SourceHealth } from './types.js';
import type { Catalog, CustomMetricDef, ExternalMetricDef } from './catalog.js';
import type { Labels, LabelMatcher, Selector } from '../util/labels.js';
import { aggregate } from './aggregate.js';
import { SourceIndex } from './source-index.js';
import { describeUnhealthy, isHealthy, type SourceStatus } from './freshness.js';

/** One object's value after combining its series. */
export interface ObjectValue {
  readonly name: string;
  readonly namespace?: string;
  readonly value: number;
  readonly timestampMs: number;
  readonly windowSeconds?: number;
}

export interface SeriesValue {
  readonly labels: Labels;
  readonly value: number;
  readonly timestampMs: number;
  readonly windowSeconds?: number;
}

/** Why a read could not be answered. The provider turns these into API errors. */
export type ReadFailure =
  | { readonly kind: 'unknown-metric' }
  | { readonly kind: 'no-source' }
  | { readonly kind: 'unavailable'; readonly message: string };

export type ReadResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: ReadFailure };

interface SourceEntry extends SourceStatus {
  readonly id: string;
  /** Bumped on every write to this source. */
  changes: number;
  metrics: ReadonlySet<string>;
  index: SourceIndex;
  /** The points `index` was built from, for partial replacement. */
  points: readonly MetricPoint[];
}

/**
 * The one in-memory store every front door reads. Pollers replace a source's points
 * wholesale after each successful poll, or record its failure; reads are lookups that
 * never wait on a backend. Stale samples and failing sources are reported, never hidden.
 */
export class MetricStore {
  private readonly sources = new Map<string, SourceEntry>();
  /** Bumped when sources come, go or change metrics; writes to a source bump its own count. */
  private changes = 0;

  constructor(
    readonly catalog: Catalog,
    private readonly now: () => number = Date.now,
  ) {}

  registerSource(id: string, metrics: readonly string[]): void {
    this.sources.set(id, { id, changes: 0, metrics: new Set(metrics), index: new SourceIndex(), points: [] });
    this.changes++;
  }

  /** Forgets a source and its points (a runtime source whose poller stopped for good). */
  unregisterSource(id: string): void {
    this.sources.delete(id);
    this.changes++;
  }

  /** A source whose metrics are discovered at run time (prometheus-adapter rules): it provides exactly `metrics` from now on. */
  setSourceMetrics(id: string, metrics: readonly string[]): void {
    this.entry(id).metrics = new Set(metrics);
    this.changes++;
  }

  /** A successful poll: the source's points are exactly `points` from now on. */
  replace(id: string, points: readonly MetricPoint[], atMs: number = this.now()): void {
    const entry = this.entry(id);
    entry.points = finiteOnly(points);
    entry.index.update(entry.points);
    entry.lastAttemptMs = atMs;
    entry.lastSuccessMs = atMs;
    entry.lastError = undefined;
    entry.changes++;
  }

  /**
   * A successful read of part of a source (one BullMQ queue, re-read at once for a KEDA push
   * stream): the source's points that `belongs` selects are exactly `points` from now on.
   * Its health is left as the last full poll set it, since the rest was not read.
   */
  replaceSeries(id: string, belongs: (p: MetricPoint) => boolean, points: readonly MetricPoint[]): void {
    const entry = this.entry(id);
    entry.points = [...entry.points.filter((p) => !belongs(p)), ...finiteOnly(points)];
    entry.index.update(entry.points);
    entry.changes++;
  }

  /** A failed poll. Old points stay for diagnosis but are no longer served. */
  fail(id: string, error: string, atMs: number = this.now()): void {
    const entry = this.entry(id);
    entry.lastAttemptMs = atMs;
    entry.lastError = error;
    entry.changes++;
  }

  /**
   * Changes on every write that can change an answer about `metric` (to its sources, the set of
   * sources or the catalog): such an answer read now holds while this is the same, and until
   * freshUntil(metric). A poll of one source leaves answers about other sources' metrics alone.
   */
  changeToken(metric: string): string {
    let token = `${this.catalog.generation}.${this.changes}`;
    for (const s of this.sources.values()) if (s.metrics.has(metric)) token += `.${s.changes}`;
    return token;
  }

  /**
   * Until when (epoch ms, inclusive) the answers about `metric` can stay as read now, barring a
   * write: the moment its first source or still-fresh sample gets older than the metric's maxAge.
   * Time alone changes nothing else: stale samples only ever leave an answer.
   */
  freshUntil(metric: string): number {
    const def = this.catalog.customMetric(metric) ?? this.catalog.externalMetric(metric);
    if (!def) return -Infinity;
    const now = this.now();
    let until = Infinity;
    for (const s of this.providers(metric)) {
      if (s.lastSuccessMs !== undefined) until = Math.min(until, s.lastSuccessMs + def.maxAgeMs);
      for (const p of s.points) {
        const expires = p.timestampMs + def.maxAgeMs;
        if (p.metric === metric && expires >= now) until = Math.min(until, expires);
      }
    }
    return until;
  }

  health(): SourceHealth[] {
    const now = this.now();
    return [...this.sources.values()].map((s) => {
      const ok = isHealthy(s, now, Infinity);
      return {
        id: s.id, ok, lastSuccessMs: s.lastSuccessMs, lastAttemptMs: s.lastAttemptMs, lastError: s.lastError,
        ...(ok ? {} : { reason: describeUnhealthy(s, now, Infinity) }),
      };
    });
  }

  /** True once every source has completed one poll, successful or not. */
  allPolledOnce(): boolean {
    return [...this.sources.values()].every((s) => s.lastAttemptMs !== undefined);
  }


  /** Age in ms of the newest sample of each source, for the exporter. */
  sampleAges(): { source: string; ageMs: number }[] {
    const now = this.now();
    return [...this.sources.values()]
      .filter((s) => s.index.newestMs !== undefined)
      .map((s) => ({ source: s.id, ageMs: now - (s.index.newestMs ?? now) }));
  }

  /**
   * Each source of an external metric with its points, and whether they may be served now
   * (last poll succeeded within the metric's maxAge). For exporters that re-publish series.
   */
  externalBySource(metric: string): { source: string; ok: boolean; points: MetricPoint[] }[] {
    const def = this.catalog.externalMetric(metric);
    if (!def) return [];
    const now = this.now();
    return this.providers(metric).map((s) => ({
      source: s.id,
      ok: isHealthy(s, now, def.maxAgeMs),
      // A copy: the index's own array changes with the next poll.
      points: [...s.index.externalPoints(metric)],
    }));
  }

  /** Object names with fresh data for `metric` on `resource` in `namespace` (standalone listing). */
  knownObjects(metric: string, resource: string, namespace: string | undefined): ReadResult<string[]> {
    const checked = this.checkCustom(metric);
    if (!checked.ok) return checked;
    const names = new Set<string>();
    for (const s of checked.value.sources) for (const n of s.index.objectNames(metric, resource, namespace)) names.add(n);
    return { ok: true, value: [...names] };
  }

  /**
   * Values of `metric` for the named objects; objects without a fresh sample are left out.
   * `namespace` undefined means cluster-scoped objects.
   */
  objectValues(
    metric: string,
    resource: string,
    namespace: string | undefined,
    names: Iterable<string>,
    metricSelector: LabelMatcher,
  ): ReadResult<ObjectValue[]> {
    const checked = this.checkCustom(metric);
    if (!checked.ok) return checked;
    const { def, sources } = checked.value;
    const oldest = this.now() - def.maxAgeMs;
    const out: ObjectValue[] = [];
    for (const name of names) {
      const points = sources.flatMap((s) => s.index.objectPoints(metric, resource, namespace, name));
      const fresh = points.filter((p) => p.timestampMs >= oldest && metricSelector.matches(p.labels));
      if (fresh.length === 0) continue;
      out.push(combine(def, namespace, name, fresh));
    }
    return { ok: true, value: out };
  }

  /** Whether `name` has any sample at all (fresh or not), to tell "stale" from "never seen". */
  hasStaleSample(metric: string, resource: string, namespace: string | undefined, name: string): boolean {
    return this.providers(metric).some((s) => s.index.objectPoints(metric, resource, namespace, name).length > 0);
  }

  /** Series of an external metric that match `selector` (and, for namespaced metrics, are in `namespace`). */
  externalValues(
    metric: string,
    selector: LabelMatcher & Pick<Selector, 'mentions' | 'pinnedValues'>,
    namespace?: string,
  ): ReadResult<SeriesValue[]> {
    const def = this.catalog.externalMetric(metric);
    if (!def) return fail({ kind: 'unknown-metric' });
    const sources = this.providers(metric);
    const problem = this.sourceProblem(sources, def);
    if (problem) return fail(problem);
    const oldest = this.now() - def.maxAgeMs;
    const pinned = new Map(selector.pinnedValues?.());
    if (def.defaultLabel && !selector.mentions(def.defaultLabel.key)) pinned.set(def.defaultLabel.key, [def.defaultLabel.value]);
    const matching = sources
      .flatMap((s) => s.index.externalPoints(metric, pinned))
      .filter((p) => inNamespace(def, p, namespace) && selector.matches(p.labels) && passesDefaultLabel(def, selector, p.labels));
    const stale = matching.filter((p) => p.timestampMs < oldest);
    if (stale.length > 0) {
      return fail({ kind: 'unavailable', message: `${stale.length} series of ${metric} are older than ${def.maxAgeMs / 1000}s` });
    }
    return { ok: true, value: matching.map(({ labels, value, timestampMs, windowSeconds }) => ({ labels, value, timestampMs, windowSeconds })) };
  }

  private checkCustom(metric: string): ReadResult<{ def: CustomMetricDef; sources: SourceEntry[] }> {
    const def = this.catalog.customMetric(metric);
    if (!def) return fail({ kind: 'unknown-metric' });
    const sources = this.providers(metric);
    const problem = this.sourceProblem(sources, def);
    if (problem) return fail(problem);
    return { ok: true, value: { def, sources } };
  }

  private sourceProblem(sources: SourceEntry[], def: CustomMetricDef | ExternalMetricDef): ReadFailure | undefined {
    if (sources.length === 0) return { kind: 'no-source' };
    const now = this.now();
    const bad = sources.filter((s) => !isHealthy(s, now, def.maxAgeMs));
    if (bad.length === 0) return undefined;
    const why = bad.map((s) => describeUnhealthy(s, now, def.maxAgeMs)).join('; ');
    return { kind: 'unavailable', message: `metric ${def.name} is unavailable: ${why}` };
  }

  private providers(metric: string): SourceEntry[] {
    return [...this.sources.values()].filter((s) => s.metrics.has(metric));
  }

  private entry(id: string): SourceEntry {
    const e = this.sources.get(id);
    if (!e) throw new Error(`source ${id} is not registered`);
    return e;
  }
}

/** `points` itself when every value is finite (the usual case: sources drop the others), else a filtered copy. */
function finiteOnly(points: readonly MetricPoint[]): readonly MetricPoint[] {
  for (const p of points) if (!Number.isFinite(p.value)) return points.filter((q) => Number.isFinite(q.value));
  return points;
}

function fail(failure: ReadFailure): { ok: false; failure: ReadFailure } {
  return { ok: false, failure };
}

function combine(def: CustomMetricDef, namespace: string | undefined, name: string, points: MetricPoint[]): ObjectValue {
  const value = aggregate(def.aggregation, points.map((p) => p.value));
  // An object's value is as old as its oldest part.
  const timestampMs = Math.min(...points.map((p) => p.timestampMs));
  const windowSeconds = points[0]?.windowSeconds;
  return { name, namespace, value, timestampMs, windowSeconds };
}

function inNamespace(def: ExternalMetricDef, p: MetricPoint, namespace: string | undefined): boolean {
  if (!def.namespaced || namespace === undefined) return true;
  return p.target.kind === 'external' && p.target.namespace === namespace;
}

function passesDefaultLabel(def: ExternalMetricDef, selector: { mentions(key: string): boolean }, labels: Labels): boolean {
  if (!def.defaultLabel || selector.mentions(def.defaultLabel.key)) return true;
  return labels[def.defaultLabel.key] === def.defaultLabel.value;
}
