import type { MetricPoint, Target } from '../store/types.js';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../util/errors.js';
import { PrometheusClient, type PromResultSample } from './prometheus-client.js';
import { durationSeconds, gpuQueries, storageQueries, type QuerySpec } from './prometheus-queries.js';
import type { Source } from './types.js';

export { STORAGE_METRICS } from './prometheus-queries.js';

/** A user rule: any PromQL expression served as a pods, object or external metric. */
export interface PrometheusRule {
  readonly name: string;
  readonly kind: 'pods' | 'object' | 'external';
  readonly query: string;
  /** Canonical resource for object rules, e.g. `deployments.apps`. */
  readonly resource?: string;
  /** Default `namespace`. Absent on a sample = cluster-scoped object. */
  readonly namespaceLabel?: string;
  /** pods: default `pod`; object: required, the label carrying the object name. */
  readonly objectLabel?: string;
  readonly windowSeconds?: number;
}

export interface PrometheusSourceOptions {
  readonly url: string;
  /** Per query, body included. Default 10000. */
  readonly timeoutMs?: number;
  /** Sent with every query (bearer token, `X-Scope-OrgID`, …). */
  readonly headers?: Record<string, string>;
  /** Serve the GPU metrics from DCGM series in Prometheus (when no --dcgm-url is given). Default false. */
  readonly gpuFromPrometheus?: boolean;
  /** Pod label on DCGM series. Default `pod` (`exported_pod` behind a ServiceMonitor). */
  readonly podLabel?: string;
  /** Namespace label on DCGM series. Default `namespace`. */
  readonly namespaceLabel?: string;
  /** Range for rate()/avg_over_time(). Default `2m`. */
  readonly rateWindow?: string;
  readonly rules?: readonly PrometheusRule[];
  readonly logger?: Logger;
}

export const PROMETHEUS_DEFAULTS = {
  timeoutMs: 10_000,
  podLabel: 'pod',
  namespaceLabel: 'namespace',
  rateWindow: '2m',
} as const;

/** Runs the built-in storage (and optionally GPU) queries plus user rules against one Prometheus. */
export class PrometheusSource implements Source {
  readonly id: string;
  readonly metrics: readonly string[];
  private readonly client: PrometheusClient;
  private readonly specs: readonly QuerySpec[];

  constructor(private readonly options: PrometheusSourceOptions) {
    this.id = `prometheus:${options.url}`;
    this.client = new PrometheusClient({
      url: options.url,
      timeoutMs: options.timeoutMs ?? PROMETHEUS_DEFAULTS.timeoutMs,
      headers: options.headers,
    });
    this.specs = buildSpecs(options);
    this.metrics = [...new Set(this.specs.map((s) => s.metric))];
  }

  /** All queries at once; the first failure aborts the rest and rejects the poll. */
  async poll(signal: AbortSignal): Promise<MetricPoint[]> {
    const inner = new AbortController();
    const both = AbortSignal.any([signal, inner.signal]);
    const results = await Promise.all(this.specs.map((spec) => this.run(spec, both, inner)));
    return results.flat();
  }

  async close(): Promise<void> {
    // Nothing held open: undici's global pool owns the sockets.
  }

  private async run(spec: QuerySpec, signal: AbortSignal, inner: AbortController): Promise<MetricPoint[]> {
    try {
      const { samples, warnings } = await this.client.query(spec.query, signal);
      if (warnings.length > 0) {
        this.options.logger?.warn({ source: this.id, metric: spec.metric, warnings }, 'prometheus query warnings');
      }
      return toPoints(spec, samples);
    } catch (err) {
      // The first failure cancels its siblings; their "request aborted" never surfaces.
      inner.abort();
      const why = `query for ${spec.metric} failed: ${errorMessage(err)}`;
      throw new Error(`prometheus ${this.options.url}: ${why}`, { cause: err });
    }
  }
}

function buildSpecs(o: PrometheusSourceOptions): QuerySpec[] {
  const window = o.rateWindow ?? PROMETHEUS_DEFAULTS.rateWindow;
  const windowSeconds = durationSeconds(window);
  if (windowSeconds === undefined) {
    throw new Error(`prometheus ${o.url}: rateWindow "${window}" is not a PromQL duration`);
  }
  const specs = storageQueries(window, windowSeconds);
  if (o.gpuFromPrometheus) {
    const pod = labelName(o.podLabel ?? PROMETHEUS_DEFAULTS.podLabel, 'podLabel');
    const ns = labelName(o.namespaceLabel ?? PROMETHEUS_DEFAULTS.namespaceLabel, 'namespaceLabel');
    specs.push(...gpuQueries(pod, ns, window, windowSeconds));
  }
  for (const rule of o.rules ?? []) specs.push(ruleSpec(rule));
  return specs;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function labelName(v: string, what: string): string {
  if (!LABEL_NAME.test(v)) throw new Error(`${what} "${v}" is not a valid Prometheus label name`);
  return v;
}

function ruleSpec(rule: PrometheusRule): QuerySpec {
  const base = { metric: rule.name, query: rule.query, keepLabels: true, windowSeconds: rule.windowSeconds };
  const namespaceLabel = rule.namespaceLabel ?? 'namespace';
  if (rule.kind === 'external') return { ...base, target: { kind: 'external' } };
  if (rule.kind === 'pods') {
    return { ...base, target: { kind: 'pods', namespaceLabel, podLabel: rule.objectLabel ?? 'pod' } };
  }
  if (!rule.resource || !rule.objectLabel) {
    throw new Error(`rule ${rule.name}: object rules need "resource" and "objectLabel"`);
  }
  const { resource, objectLabel } = rule;
  return { ...base, target: { kind: 'object', resource, namespaceLabel, objectLabel } };
}

/** Maps result samples to points; NaN/Inf and samples without an object name are dropped. */
export function toPoints(spec: QuerySpec, samples: readonly PromResultSample[]): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (const s of samples) {
    if (!Number.isFinite(s.value)) continue;
    const t = targetOf(spec, s.labels);
    if (!t) continue;
    const labels = spec.keepLabels ? without(s.labels, t.used) : {};
    const { value, timestampMs } = s;
    const point: MetricPoint = { metric: spec.metric, target: t.target, labels, value, timestampMs };
    out.push(spec.windowSeconds === undefined ? point : { ...point, windowSeconds: spec.windowSeconds });
  }
  return out;
}

interface Resolved {
  readonly target: Target;
  /** Labels consumed to name the object; the rest become series labels. */
  readonly used: readonly string[];
}

function targetOf(spec: QuerySpec, labels: Record<string, string>): Resolved | undefined {
  const t = spec.target;
  switch (t.kind) {
    case 'external':
      return { target: { kind: 'external' }, used: [] };
    case 'nodes': {
      const name = labels[t.nodeLabel];
      return name ? { target: { kind: 'object', resource: 'nodes', name }, used: [t.nodeLabel] } : undefined;
    }
    case 'pods': {
      const namespace = labels[t.namespaceLabel];
      const name = labels[t.podLabel];
      if (!namespace || !name) return undefined;
      return { target: { kind: 'object', resource: 'pods', namespace, name }, used: [t.namespaceLabel, t.podLabel] };
    }
    case 'object': {
      const name = labels[t.objectLabel];
      if (!name) return undefined;
      const namespace = labels[t.namespaceLabel];
      const target: Target = namespace
        ? { kind: 'object', resource: t.resource, namespace, name }
        : { kind: 'object', resource: t.resource, name };
      return { target, used: [t.namespaceLabel, t.objectLabel] };
    }
  }
}

function without(labels: Record<string, string>, drop: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (!drop.includes(k)) out[k] = v;
  return out;
}
