/**
 * manifests/keda renders with kubectl 1.33 as components of the base: a headless gRPC
 * Service whose DNS name is the scalerAddress of the examples, and for mutual TLS the
 * cert-manager PKI whose serving certificate names that host, mounted and passed as the
 * three --grpc-* TLS flags.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kubectlPath } from '../helpers/kubectl.js';

interface Obj {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: Record<string, unknown>;
}
interface Deployment {
  spec: { template: { spec: { containers: { args: string[]; volumeMounts: { name: string; mountPath: string }[] }[]; volumes: { name: string; secret?: { secretName: string } }[] } } };
}

function render(dir: string): Obj[] {
  const text = execFileSync(kubectlPath(), ['kustomize', dir], { encoding: 'utf8' });
  return parseAllDocuments(text).map((d) => d.toJS() as Obj);
}

describe('manifests/keda', function () {
  this.timeout(60_000);
  let tmp: string;
  let plain: Obj[];
  let mtls: Obj[];

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'ama-keda-manifests-'));
    cpSync('manifests', join(tmp, 'manifests'), { recursive: true });
    const overlay = (name: string, components: string[]) => {
      const dir = join(tmp, 'manifests', name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'kustomization.yaml'), `resources: [../base]\ncomponents: [${components.join(', ')}]\n`);
      return render(dir);
    };
    plain = overlay('with-keda', ['../keda']);
    mtls = overlay('with-keda-mtls', ['../keda', '../keda/mtls']);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('adds a headless gRPC Service on 6000 selecting the adapter pods', () => {
    const svc = plain.find((o) => o.kind === 'Service' && o.metadata.name === 'ai-metrics-adapter-keda');
    expect(svc?.metadata.namespace).to.equal('ai-metrics-adapter');
    expect(svc?.spec).to.deep.include({ clusterIP: 'None', selector: { 'app.kubernetes.io/name': 'ai-metrics-adapter' } });
    expect(svc?.spec.ports).to.deep.equal([{ name: 'grpc', port: 6000, targetPort: 'grpc', appProtocol: 'grpc' }]);
    const deployment = plain.find((o) => o.kind === 'Deployment') as unknown as Deployment;
    expect(deployment.spec.template.spec.containers[0]?.args.some((a) => a.startsWith('--grpc-tls'))).to.equal(false);
  });

  it('mtls: the serving certificate names the scalerAddress host and is passed as the three TLS flags', () => {
    const cert = mtls.find((o) => o.kind === 'Certificate' && o.metadata.name === 'ai-metrics-adapter-keda-serving');
    expect(cert?.spec.dnsNames).to.include('ai-metrics-adapter-keda.ai-metrics-adapter.svc.cluster.local');
    expect(cert?.spec.issuerRef).to.deep.equal({ name: 'ai-metrics-adapter-keda-ca', kind: 'ClusterIssuer' });
    const issuer = mtls.find((o) => o.kind === 'ClusterIssuer' && o.metadata.name === 'ai-metrics-adapter-keda-ca');
    const ca = mtls.find((o) => o.kind === 'Certificate' && o.metadata.name === 'ai-metrics-adapter-keda-ca');
    expect(issuer?.spec.ca).to.deep.equal({ secretName: 'ai-metrics-adapter-keda-ca' });
    expect([ca?.metadata.namespace, ca?.spec.isCA, ca?.spec.secretName]).to.deep.equal(['cert-manager', true, 'ai-metrics-adapter-keda-ca']);
    const pod = (mtls.find((o) => o.kind === 'Deployment') as unknown as Deployment).spec.template.spec;
    const c = pod.containers[0];
    expect(c?.args).to.include.members([
      '--grpc-tls-cert-file=/var/run/keda-grpc/tls.crt',
      '--grpc-tls-key-file=/var/run/keda-grpc/tls.key',
      '--grpc-client-ca-file=/var/run/keda-grpc/ca.crt',
    ]);
    expect(c?.volumeMounts).to.deep.include({ name: 'keda-grpc', mountPath: '/var/run/keda-grpc', readOnly: true });
    expect(pod.volumes).to.deep.include({ name: 'keda-grpc', secret: { secretName: 'ai-metrics-adapter-keda-serving' } });
  });
});
