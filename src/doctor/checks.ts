import { fail, ok, warn, type Finding } from './findings.js';
import { statusMessage, type Reply, type Target } from './http.js';

const GROUP_VERSIONS = ['custom.metrics.k8s.io/v1beta2', 'custom.metrics.k8s.io/v1beta1', 'external.metrics.k8s.io/v1beta1'];
/** What the HPA controller's clients send (kube-controller-manager defaults to protobuf). */
const HPA_ACCEPT = 'application/vnd.kubernetes.protobuf, */*';

interface ResourceList {
  resources?: { name: string; namespaced: boolean }[];
}

function parse<T>(r: Reply): T | undefined {
  try {
    return JSON.parse(r.body) as T;
  } catch {
    return undefined;
  }
}

function transport(r: Reply): string {
  return r.error ?? `HTTP ${r.status}: ${statusMessage(r.body)}`;
}

/** Advice for the reasons kube-aggregator gives when an APIService is not Available. */
const APISERVICE_ADVICE: Record<string, string> = {
  FailedDiscoveryCheck:
    'kube-apiserver could not get a 2xx from the adapter: check the adapter pods are Ready, that the control plane can reach ' +
    'their port 6443 (firewalls, NetworkPolicies, GKE private clusters), and that caBundle matches the serving certificate',
  MissingEndpoints: 'no Ready adapter pod behind the Service: see `kubectl -n ai-metrics-adapter get pods` and the pods\' /readyz',
  EndpointsNotFound: 'no Ready adapter pod behind the Service: see `kubectl -n ai-metrics-adapter get pods` and the pods\' /readyz',
  ServiceNotFound: 'the Service named in spec.service does not exist: apply the manifests',
  ServicePortError: 'spec.service.port does not match a port of the Service (the manifests use 443 -> 6443)',
};

interface ApiService {
  spec?: { service?: { name?: string; namespace?: string } };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** The three APIServices exist, point at the adapter and are Available (cluster only). */
export async function apiServiceChecks(target: Target): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const gv of GROUP_VERSIONS) {
    const [group, version] = gv.split('/');
    const name = `${version}.${group}`;
    const r = await target.get(`/apis/apiregistration.k8s.io/v1/apiservices/${name}`);
    if (r.status === 404) {
      out.push(fail(`APIService ${name}`, 'not registered', 'apply the manifests (kubectl apply -k manifests/cert-manager or manifests/ca-bundle)'));
      continue;
    }
    const svc = parse<ApiService>(r);
    if (r.status !== 200 || !svc) {
      out.push(fail(`APIService ${name}`, transport(r), 'the kubeconfig user needs get on apiservices.apiregistration.k8s.io'));
      continue;
    }
    const owner = svc.spec?.service;
    const available = svc.status?.conditions?.find((c) => c.type === 'Available');
    const where = owner ? `served by ${owner.namespace}/${owner.name}` : 'served locally';
    if (available?.status === 'True') out.push(ok(`APIService ${name}`, `Available, ${where}`));
    else {
      const reason = available?.reason ?? 'Unknown';
      out.push(fail(`APIService ${name}`, `not Available (${reason}): ${available?.message ?? 'no message'}; ${where}`, APISERVICE_ADVICE[reason]));
    }
  }
  return out;
}

/** Replays the aggregator's availability probe: GET /apis/<g>/<v>, 2xx within 5 s, never empty. */
export async function discoveryChecks(target: Target): Promise<{ findings: Finding[]; lists: Map<string, ResourceList> }> {
  const findings: Finding[] = [];
  const lists = new Map<string, ResourceList>();
  for (const gv of GROUP_VERSIONS) {
    const r = await target.get(`/apis/${gv}`, 'application/json');
    const list = parse<ResourceList>(r);
    if (r.status !== 200 || !list) {
      findings.push(fail(`discovery ${gv}`, transport(r), 'this is the availability probe: while it fails the APIService is not Available and every HPA on it fails'));
      continue;
    }
    lists.set(gv, list);
    const n = list.resources?.length ?? 0;
    if (n === 0) findings.push(fail(`discovery ${gv}`, 'empty resource list', 'kubectl prints "Got empty response" for every command while a group lists nothing'));
    else if (r.ms > 1000) findings.push(warn(`discovery ${gv}`, `${n} metric(s) in ${r.ms} ms`, 'the aggregator allows 5 s; slow discovery slows every kubectl call'));
    else findings.push(ok(`discovery ${gv}`, `${n} metric(s) in ${r.ms} ms`));
  }
  return { findings, lists };
}

/** The aggregator polls /openapi/v2 every minute and logs an error for anything but a valid spec. */
export async function openApiCheck(target: Target, viaAggregator: boolean): Promise<Finding> {
  if (viaAggregator) return ok('OpenAPI', 'checked only against the adapter directly');
  const r = await target.get('/openapi/v2');
  const spec = r.status === 200 ? parse<{ swagger?: string }>(r) : undefined;
  if (spec?.swagger === '2.0') return ok('OpenAPI /openapi/v2', 'a valid Swagger 2.0 document, which the aggregator merges quietly');
  return warn('OpenAPI /openapi/v2', transport(r), 'kube-apiserver logs "loading OpenAPI spec … failed" every minute unless this answers a Swagger 2.0 document');
}

/** One query per served metric, as the HPA would send it. */
export async function sampleQueries(target: Target, lists: Map<string, ResourceList>, namespace: string): Promise<Finding[]> {
  const out: Finding[] = [];
  const unconfigured: string[] = [];
  const record = (title: string, r: Reply, hpaType: 'Pods' | 'External') => {
    // Metrics without a configured source are expected; list them once rather than warn for each.
    if (r.status === 404 && /no source for it is configured/.test(r.body)) unconfigured.push(title);
    else out.push(judge(title, r, hpaType));
  };
  for (const r of lists.get('custom.metrics.k8s.io/v1beta2')?.resources ?? []) {
    const [resource, metric] = r.name.split('/');
    const path = r.namespaced
      ? `/apis/custom.metrics.k8s.io/v1beta2/namespaces/${namespace}/${resource}/*/${metric}`
      : `/apis/custom.metrics.k8s.io/v1beta2/${resource}/*/${metric}`;
    record(`${resource} ${metric}`, await target.get(path, HPA_ACCEPT), 'Pods');
  }
  for (const r of lists.get('external.metrics.k8s.io/v1beta1')?.resources ?? []) {
    const path = `/apis/external.metrics.k8s.io/v1beta1/namespaces/${namespace}/${r.name}`;
    record(`external ${r.name}`, await target.get(path, HPA_ACCEPT), 'External');
  }
  if (unconfigured.length > 0) {
    out.push(warn('no source configured', unconfigured.join(', '), 'set --dcgm-url (GPU) or --prometheus-url (GPU, storage) if HPAs need these'));
  }
  return out;
}

function judge(title: string, r: Reply, hpaType: 'Pods' | 'External'): Finding {
  const what = `query ${title}`;
  if (r.status === 200) {
    const items = parse<{ items?: unknown[] }>(r)?.items ?? [];
    if (items.length > 0) return ok(what, `${items.length} item(s) in ${r.ms} ms`);
    return warn(what, 'answered with no items', `an HPA on it reports FailedGet${hpaType}Metric until there is data (no matching objects or series yet)`);
  }
  const msg = transport(r);
  if (r.status === 404) return warn(what, msg, /no source/.test(msg) ? 'configure the source named in the message, or ignore this metric' : undefined);
  if (r.status === 503) return fail(what, msg, 'the HPA holds its replicas while a source is failing or stale: fix the source named in the message');
  if (r.status === 401 || r.status === 403) return fail(what, msg, 'authentication or RBAC: the HPA controller needs get/list on custom.metrics.k8s.io and external.metrics.k8s.io');
  return fail(what, msg);
}
