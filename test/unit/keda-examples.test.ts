/**
 * What users copy for KEDA is accepted by the scaler as written: every external /
 * external-push trigger in hpa-examples/keda parses with the built-in catalog, points at
 * the headless Service of manifests/keda, and uses the metricType its metric needs.
 * docs/keda.md documents every metadata key with an example.
 */
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Catalog, builtinCatalog } from '../../src/store/index.js';
import { METADATA_KEYS, parseTriggerMetadata } from '../../src/keda/index.js';

const DIR = 'hpa-examples/keda';
const SCALER_ADDRESS = 'ai-metrics-adapter-keda.ai-metrics-adapter.svc.cluster.local:6000';

interface Trigger {
  type: string;
  name?: string;
  metricType?: string;
  metadata: Record<string, unknown>;
  authenticationRef?: { name: string };
}
interface KedaObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  spec: { triggers?: Trigger[]; minReplicaCount?: number; secretTargetRef?: { parameter: string; name: string; key: string }[] };
}

const objects = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => ({ file: f, obj: d.toJS() as KedaObject })));
const scalables = objects.filter(({ obj }) => obj.kind === 'ScaledObject' || obj.kind === 'ScaledJob');
const triggers = scalables.flatMap(({ file, obj }) => (obj.spec.triggers ?? []).map((t) => ({ file, obj, t })));
const catalog = new Catalog(builtinCatalog());

describe('hpa-examples/keda', () => {
  it('has external and external-push BullMQ triggers, GPU duty cycle as Value, a ScaledJob and mTLS auth', () => {
    const has = (pred: (x: (typeof triggers)[number]) => boolean) => expect(triggers.some(pred)).to.equal(true);
    has(({ t }) => t.type === 'external-push' && t.metadata.metric === 'redis_queue_depth');
    has(({ obj, t }) => obj.kind === 'ScaledObject' && t.type === 'external' && t.metadata.metric === 'redis_queue_depth');
    has(({ t }) => t.metadata.metric === 'nvidia_gpu_duty_cycle' && t.metricType === 'Value');
    has(({ obj, t }) => obj.kind === 'ScaledJob' && t.metadata.metric === 'redis_queue_depth');
    has(({ t }) => t.authenticationRef !== undefined);
    const auth = objects.find(({ obj }) => obj.kind === 'TriggerAuthentication')?.obj;
    expect(auth?.spec.secretTargetRef?.map((r) => r.parameter).sort()).to.deep.equal(['caCert', 'tlsClientCert', 'tlsClientKey']);
  });

  for (const { file, obj, t } of triggers) {
    it(`${file}: ${obj.kind} ${obj.metadata.name}, trigger ${t.name ?? t.type} is accepted by the scaler`, () => {
      expect(t.type).to.be.oneOf(['external', 'external-push']);
      for (const [k, v] of Object.entries(t.metadata)) expect(typeof v, `metadata.${k} must be a YAML string`).to.equal('string');
      expect(t.metadata.scalerAddress).to.equal(SCALER_ADDRESS);
      const spec = parseTriggerMetadata(t.metadata as Record<string, string>, obj.metadata.namespace, catalog);
      expect(spec.metricName).to.match(/^[a-z0-9-]+$/);
      if (obj.kind === 'ScaledJob') {
        expect(t.type, 'ScaledJobs ignore push').to.equal('external');
        expect(t.metricType ?? 'AverageValue', 'ScaledJobs need AverageValue').to.equal('AverageValue');
      }
      if (spec.read.api === 'custom') {
        expect(t.metricType, 'a pod level is a Value').to.equal('Value');
        expect(obj.spec.minReplicaCount ?? 0, 'pod metrics have no pods at zero').to.be.at.least(1);
      }
    });
  }
});

describe('docs/keda.md', () => {
  const doc = readFileSync('docs/keda.md', 'utf8');

  for (const key of [...METADATA_KEYS, 'scalerAddress']) {
    it(`documents metadata key ${key} with an example`, () => {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${key}\``));
      expect(row, `table row for ${key}`).to.not.equal(undefined);
      const example = row?.split('|').slice(-2, -1)[0] ?? '';
      expect(example, `example for ${key}`).to.contain(`${key}:`);
    });
  }

  it('documents the serve flags of the scaler', () => {
    for (const flag of ['--grpc-port', '--grpc-tls-cert-file', '--grpc-tls-key-file', '--grpc-client-ca-file']) expect(doc).to.contain(flag);
  });
});
