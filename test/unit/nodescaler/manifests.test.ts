/** manifests/node-scaler: parses, its example config validates, and its RBAC is exactly what the controller needs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse, parseAllDocuments } from 'yaml';
import { parseNodeScalerConfig } from '../../../src/nodescaler/config.js';

const DIR = 'manifests/node-scaler';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  rules?: Rule[];
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
  roleRef?: { kind: string; name: string };
  data?: Record<string, string>;
  spec?: Record<string, unknown>;
}
interface Container {
  args: string[];
  env: Array<{ name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
  ports: Array<{ name: string; containerPort: number }>;
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean; capabilities: { drop: string[] } };
  volumeMounts: Array<{ name: string; mountPath: string }>;
}
interface DeploymentSpec {
  replicas: number;
  template: { spec: { serviceAccountName: string; securityContext: { runAsNonRoot: boolean }; containers: Container[]; volumes: Array<{ name: string; configMap?: { name: string } }> } };
}

function load(): { kustomization: { namespace?: string; resources: string[] }; objects: Obj[] } {
  const kustomization = parse(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8')) as { namespace?: string; resources: string[] };
  const objects = kustomization.resources.flatMap((file) =>
    parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
      if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`);
      return d.toJS() as Obj;
    }));
  return { kustomization, objects };
}

function find(objects: Obj[], kind: string, name?: string): Obj {
  const o = objects.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (!o) throw new Error(`no ${kind} ${name ?? ''}`);
  return o;
}

/** `group/resource` → sorted verbs, merged over rules (resourceNames kept apart). */
function grants(rules: Rule[]): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const r of rules) {
    for (const g of r.apiGroups) {
      for (const res of r.resources) {
        const key = `${g || 'core'}/${res}${r.resourceNames ? `[${r.resourceNames.join(',')}]` : ''}`;
        out[key] ??= new Set();
        for (const v of r.verbs) out[key].add(v);
      }
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].sort()]));
}

describe('manifests/node-scaler', () => {
  const { kustomization, objects } = load();

  it('parses, and no object names its namespace (the kustomization sets it)', () => {
    expect(objects.map((o) => o.kind).sort()).to.deep.equal(
      ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Role', 'RoleBinding', 'Service', 'ServiceAccount'].sort());
    for (const o of objects) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).to.equal(undefined);
    expect(kustomization.namespace).to.equal('ai-metrics-adapter');
    for (const b of objects.filter((o) => o.kind.endsWith('Binding'))) {
      expect(b.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'ai-metrics-adapter-node-scaler' }]);
    }
  });

  it('ships an example config that validates with parseNodeScalerConfig, in dry run', () => {
    const cm = find(objects, 'ConfigMap', 'ai-metrics-adapter-node-scaler');
    const cfg = parseNodeScalerConfig(parse(cm.data?.['config.yaml'] ?? ''), 'configmap.yaml');
    expect(cfg.dryRun).to.equal(true);
    expect(cfg.pools.map((p) => p.tier).sort()).to.deep.equal(['onDemand', 'reserved', 'spot']);
    for (const p of cfg.pools) expect(p.actuator.kind).to.equal('clusterApi');
  });

  it('grants the ClusterRole exactly the verbs the controller uses, without wildcards', () => {
    const role = find(objects, 'ClusterRole', 'ai-metrics-adapter:node-scaler');
    const rules = role.rules ?? [];
    for (const r of rules) {
      for (const field of [r.apiGroups, r.resources, r.verbs]) expect(field, JSON.stringify(r)).to.not.include('*');
    }
    expect(grants(rules)).to.deep.equal({
      'core/nodes': ['get', 'list', 'patch', 'update', 'watch'],
      'core/pods': ['delete', 'get', 'list', 'watch'],
      'core/pods/eviction': ['create'],
      'policy/poddisruptionbudgets': ['get', 'list', 'watch'],
      'core/events': ['create', 'list', 'patch'],
      'cluster.x-k8s.io/machinedeployments': ['get', 'list', 'watch'],
      'cluster.x-k8s.io/machinesets': ['get', 'list', 'watch'],
      'cluster.x-k8s.io/machinepools': ['get', 'list', 'watch'],
      'cluster.x-k8s.io/machinedeployments/scale': ['get', 'patch', 'update'],
      'cluster.x-k8s.io/machinesets/scale': ['get', 'patch', 'update'],
      'cluster.x-k8s.io/machinepools/scale': ['get', 'patch', 'update'],
      'cluster.x-k8s.io/machines': ['get', 'list', 'patch', 'watch'],
      'cluster.x-k8s.io/clusters': ['get', 'list', 'watch'],
      'karpenter.sh/nodepools': ['get', 'list', 'watch'],
      'karpenter.sh/nodepools/scale': ['get', 'patch', 'update'],
      'karpenter.sh/nodeclaims': ['get', 'list', 'watch'],
    });
    const binding = find(objects, 'ClusterRoleBinding');
    expect(binding.roleRef).to.include({ kind: 'ClusterRole', name: 'ai-metrics-adapter:node-scaler' });
  });

  it('limits the leader-election Role to its own Lease and state ConfigMap (create cannot be limited by name)', () => {
    const role = find(objects, 'Role');
    expect(grants(role.rules ?? [])).to.deep.equal({
      'coordination.k8s.io/leases': ['create'],
      'coordination.k8s.io/leases[ai-metrics-adapter-node-scaler]': ['get', 'update'],
      'core/configmaps': ['create'],
      'core/configmaps[ai-metrics-adapter-node-scaler-state]': ['get', 'update'],
    });
    const binding = find(objects, 'RoleBinding');
    expect(binding.roleRef).to.include({ kind: 'Role', name: role.metadata.name });
  });

  it('runs 2 replicas of `node-scaler run` with the config, downward-API identity, probes and a locked-down container', () => {
    const d = find(objects, 'Deployment', 'ai-metrics-adapter-node-scaler');
    const spec = d.spec as unknown as DeploymentSpec;
    expect(spec.replicas).to.equal(2);
    const pod = spec.template.spec;
    expect(pod.serviceAccountName).to.equal(find(objects, 'ServiceAccount').metadata.name);
    expect(pod.securityContext.runAsNonRoot).to.equal(true);
    const [c] = pod.containers;
    expect(c?.args.slice(0, 2)).to.deep.equal(['node-scaler', 'run']);
    expect(c?.args).to.include('--config=/etc/node-scaler/config.yaml');
    const fieldPaths = Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
    expect(fieldPaths).to.deep.include({ POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace' });
    expect(c?.ports).to.deep.equal([{ name: 'http-metrics', containerPort: 8080 }]);
    expect(c?.livenessProbe.httpGet).to.deep.equal({ path: '/healthz', port: 'http-metrics' });
    expect(c?.readinessProbe.httpGet).to.deep.equal({ path: '/readyz', port: 'http-metrics' });
    expect(c?.resources.requests).to.have.keys('cpu', 'memory');
    expect(c?.resources.limits).to.have.key('memory');
    expect(c?.securityContext).to.deep.include({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(c?.securityContext.capabilities.drop).to.deep.equal(['ALL']);
    expect(c?.volumeMounts.find((m) => m.name === 'config')?.mountPath).to.equal('/etc/node-scaler');
    expect(pod.volumes.find((v) => v.name === 'config')?.configMap?.name).to.equal('ai-metrics-adapter-node-scaler');
  });

  it('exposes the metrics port through a Service selecting the Deployment\'s pods', () => {
    const svc = find(objects, 'Service');
    const d = find(objects, 'Deployment');
    const selector = (svc.spec as { selector: Record<string, string> }).selector;
    const podLabels = (d.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    expect(podLabels).to.deep.include(selector);
    expect((svc.spec as { ports: unknown[] }).ports).to.deep.equal([{ name: 'http-metrics', port: 8080, targetPort: 'http-metrics' }]);
  });
});
