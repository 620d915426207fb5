/** The shipped kustomize variants render with kubectl 1.33 and say what the docs promise. */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../src/config/index.js';
import { kubectlPath } from '../helpers/kubectl.js';

// Only the fields the assertions read.
interface Container {
  securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean; capabilities: { drop: string[] } };
  readinessProbe: { httpGet: unknown };
  livenessProbe: { httpGet: unknown };
  ports: { name: string; containerPort: number }[];
}
interface PodSpec {
  securityContext: { runAsNonRoot: boolean };
  containers: Container[];
  affinity: { podAntiAffinity?: unknown };
}

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

function render(dir: string): Obj[] {
  const text = execFileSync(kubectlPath(), ['kustomize', dir], { encoding: 'utf8' });
  return parseAllDocuments(text).map((d) => {
    if (d.errors.length > 0) throw new Error(`${dir}: ${d.errors.map((e) => e.message).join('; ')}`);
    return d.toJS() as Obj;
  });
}

const APISERVICES = [
  ['v1beta2.custom.metrics.k8s.io', 'custom.metrics.k8s.io', 'v1beta2', 200],
  ['v1beta1.custom.metrics.k8s.io', 'custom.metrics.k8s.io', 'v1beta1', 100],
  ['v1beta1.external.metrics.k8s.io', 'external.metrics.k8s.io', 'v1beta1', 100],
];

describe('manifests', function () {
  this.timeout(60_000);
  let tmp: string;
  const variants: Record<string, Obj[]> = {};

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'ama-manifests-'));
    cpSync('manifests', join(tmp, 'manifests'), { recursive: true });
    execFileSync('bash', ['scripts/gen-serving-cert.sh', join(tmp, 'manifests/ca-bundle')], { encoding: 'utf8' });
    for (const v of ['base', 'cert-manager', 'ca-bundle']) variants[v] = render(join(tmp, 'manifests', v));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const apiServices = (v: string) => variants[v]!.filter((o) => o.kind === 'APIService');

  it('registers exactly the three APIServices with the documented groups, versions and priorities', () => {
    for (const v of ['base', 'cert-manager', 'ca-bundle']) {
      const got = apiServices(v).map((a) => [a.metadata.name, a.spec?.group, a.spec?.version, a.spec?.versionPriority]);
      expect(got, v).to.have.deep.members(APISERVICES);
      for (const a of apiServices(v)) {
        expect(a.spec?.service).to.deep.equal({ name: 'ai-metrics-adapter', namespace: 'ai-metrics-adapter', port: 443 });
        expect(a.spec?.groupPriorityMinimum).to.equal(100);
      }
    }
  });

  it('cert-manager variant: a Certificate for <svc>.<ns>.svc and CA injection into every APIService', () => {
    const cert = variants['cert-manager']!.find((o) => o.kind === 'Certificate');
    expect(cert?.spec?.dnsNames).to.include('ai-metrics-adapter.ai-metrics-adapter.svc');
    expect(cert?.spec?.secretName).to.equal('ai-metrics-adapter-serving');
    for (const a of apiServices('cert-manager')) {
      expect(a.metadata.annotations?.['cert-manager.io/inject-ca-from']).to.equal('ai-metrics-adapter/ai-metrics-adapter-serving');
    }
  });

  it('ca-bundle variant: the serving Secret and its CA as every APIService caBundle', () => {
    const secret = variants['ca-bundle']!.find((o) => o.kind === 'Secret') as Obj & { data: Record<string, string>; type: string };
    expect(secret.metadata.name).to.equal('ai-metrics-adapter-serving');
    expect(secret.type).to.equal('kubernetes.io/tls');
    const ca = Buffer.from(secret.data['ca.crt']!, 'base64').toString();
    expect(ca).to.contain('BEGIN CERTIFICATE');
    for (const a of apiServices('ca-bundle')) {
      const bundle = Buffer.from(String(a.spec?.caBundle).replace(/\s/g, ''), 'base64').toString();
      expect(bundle).to.equal(ca);
    }
  });

  it('runs 2 hardened replicas with probes on :8080, a PDB and a named https Service port', () => {
    const objs = variants.base!;
    const dep = objs.find((o) => o.kind === 'Deployment') as Obj & { spec: { replicas: number; template: { spec: PodSpec } } };
    expect(dep.spec.replicas).to.equal(2);
    const pod = dep.spec.template.spec;
    const c = pod.containers[0]!;
    expect(pod.securityContext.runAsNonRoot).to.equal(true);
    expect(c.securityContext).to.deep.include({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(c.securityContext.capabilities.drop).to.deep.equal(['ALL']);
    expect(c.readinessProbe.httpGet).to.deep.equal({ path: '/readyz', port: 'http-metrics' });
    expect(c.livenessProbe.httpGet).to.deep.equal({ path: '/livez', port: 'http-metrics' });
    expect(c.ports.find((p) => p.name === 'http-metrics')?.containerPort).to.equal(8080);
    expect(pod.affinity.podAntiAffinity).to.exist;
    expect(objs.find((o) => o.kind === 'PodDisruptionBudget')?.spec?.minAvailable).to.equal(1);
    const svc = objs.find((o) => o.kind === 'Service') as Obj & { spec: { ports: { name: string; port: number; targetPort: string }[] } };
    expect(svc.spec.ports).to.deep.include({ name: 'https', port: 443, targetPort: 'https' });
  });

  it('grants delegated auth, the auth-config reader in kube-system, and metric reads to the HPA controller', () => {
    const objs = variants.base!;
    const rb = objs.find((o) => o.kind === 'RoleBinding' && o.metadata.name === 'ai-metrics-adapter-auth-reader') as Obj & { roleRef: { name: string } };
    expect(rb.metadata.namespace).to.equal('kube-system');
    expect(rb.roleRef.name).to.equal('extension-apiserver-authentication-reader');
    const crbs = objs.filter((o) => o.kind === 'ClusterRoleBinding') as (Obj & { roleRef: { name: string }; subjects: { name: string; namespace: string }[] })[];
    expect(crbs.map((b) => b.roleRef.name)).to.include('system:auth-delegator');
    const hpa = crbs.find((b) => b.subjects.some((s) => s.name === 'horizontal-pod-autoscaler'));
    expect(hpa?.roleRef.name).to.equal('ai-metrics-adapter:metrics-reader');
    expect(hpa?.subjects[0]?.namespace).to.equal('kube-system');
  });

  it('limits the policy controller\'s leader-election Role to its own Lease in the adapter namespace (create cannot be limited by name)', () => {
    const objs = variants.base!;
    type Rule = { apiGroups: string[]; resources: string[]; resourceNames?: string[]; verbs: string[] };
    const role = objs.find((o) => o.kind === 'Role' && o.metadata.name === 'ai-metrics-adapter-policies-leader-election') as (Obj & { rules: Rule[] }) | undefined;
    expect(role, 'policies leader-election Role').to.exist;
    expect(role!.metadata.namespace).to.equal('ai-metrics-adapter');
    expect(role!.rules).to.deep.equal([
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['ai-metrics-adapter-policies'], verbs: ['get', 'update'] },
    ]);
    const binding = objs.find((o) => o.kind === 'RoleBinding' && o.metadata.name === role!.metadata.name) as
      (Obj & { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; namespace: string }[] }) | undefined;
    expect(binding?.metadata.namespace).to.equal('ai-metrics-adapter');
    expect(binding?.roleRef).to.include({ kind: 'Role', name: role!.metadata.name });
    expect(binding?.subjects).to.deep.equal([{ kind: 'ServiceAccount', name: 'ai-metrics-adapter', namespace: 'ai-metrics-adapter' }]);
    // The default lease name in the code is the one the Role grants.
    expect(parseConfig({}, 'defaults').policies.leaderElection.leaseName).to.equal('ai-metrics-adapter-policies');
    const dep = objs.find((o) => o.kind === 'Deployment') as Obj & { spec: { template: { spec: { containers: { env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[] }[] } } } };
    const env = Object.fromEntries((dep.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
    expect(env).to.deep.include({ POD_NAME: 'metadata.name', POD_NAMESPACE: 'metadata.namespace' });
  });
});
