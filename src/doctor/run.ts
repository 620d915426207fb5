import type { KubeConfig } from '@kubernetes/client-node';
import { apiServiceChecks, discoveryChecks, openApiCheck, sampleQueries } from './checks.js';
import { fail, formatReport, type Finding } from './findings.js';
import { Target, statusMessage } from './http.js';

export interface DoctorOptions {
  readonly kubeConfig: KubeConfig;
  /** Namespace for the sample HPA queries. */
  readonly namespace: string;
}

export interface DoctorResult {
  readonly report: string;
  readonly failed: boolean;
}

/**
 * Replays what kube-apiserver's aggregator and the HPA controller do against the adapter
 * (directly, or through kube-apiserver when the kubeconfig points at a cluster) and
 * explains each failure in plain words.
 */
export async function runDoctor(opts: DoctorOptions): Promise<DoctorResult> {
  const server = opts.kubeConfig.getCurrentCluster()?.server;
  if (!server) return done('ai-metrics-adapter doctor', [fail('kubeconfig', 'no current cluster')]);
  const target = new Target(opts.kubeConfig, server);
  const apis = await target.get('/apis', 'application/json');
  if (apis.status !== 200) {
    const why = apis.error ?? `HTTP ${apis.status}: ${statusMessage(apis.body)}`;
    return done(`ai-metrics-adapter doctor: ${server}`, [fail(`GET ${server}/apis`, why, 'is the adapter (or kube-apiserver) running and reachable?')]);
  }
  const groups = (JSON.parse(apis.body) as { groups?: { name: string }[] }).groups ?? [];
  const viaAggregator = groups.some((g) => g.name === 'apiregistration.k8s.io');
  const heading = `ai-metrics-adapter doctor: ${server} (${viaAggregator ? 'through kube-apiserver' : 'the adapter directly'})`;
  const findings: Finding[] = [];
  if (viaAggregator) findings.push(...(await apiServiceChecks(target)));
  const discovery = await discoveryChecks(target);
  findings.push(...discovery.findings, await openApiCheck(target, viaAggregator));
  findings.push(...(await sampleQueries(target, discovery.lists, opts.namespace)));
  return done(heading, findings);
}

function done(heading: string, findings: Finding[]): DoctorResult {
  return { report: formatReport(heading, findings), failed: findings.some((f) => f.level === 'fail') };
}
