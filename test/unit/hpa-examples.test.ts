/**
 * Every HPA a user copies from hpa-examples/ asks only for metrics the adapter serves:
 * the built-in catalog, plus the rules of the example configuration files beside them.
 */
import { expect } from 'chai';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { parseConfig } from '../../src/config/index.js';
import { buildCatalog } from '../../src/serve/catalog.js';
import { resolveResource } from '../../src/apiserver/index.js';
import { groupResource } from '../../src/provider/index.js';

const ROOT = 'hpa-examples';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

interface MetricSpec {
  type: string;
  pods?: { metric: { name: string } };
  object?: { metric: { name: string }; describedObject: { apiVersion: string; kind: string } };
  external?: { metric: { name: string } };
}
interface Hpa {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number; metrics: MetricSpec[] };
}

const yamlFiles = files(ROOT).filter((f) => f.endsWith('.yaml'));
const configFiles = yamlFiles.filter((f) => f.endsWith('.config.yaml'));
const hpas = yamlFiles
  .filter((f) => !configFiles.includes(f))
  .flatMap((f) => parseAllDocuments(readFileSync(f, 'utf8')).map((d) => ({ file: f, obj: d.toJS() as Hpa })))
  .filter(({ obj }) => obj.kind === 'HorizontalPodAutoscaler');

/** Built-in catalog plus the example rules, as `resource/metric` and `external/metric` keys. */
function served(): Set<string> {
  const rules = configFiles.flatMap((f) => (parse(readFileSync(f, 'utf8')) as { prometheus: { rules: unknown[] } }).prometheus.rules);
  const catalog = buildCatalog(parseConfig({ prometheus: { rules } }, 'hpa-examples'));
  return new Set([
    ...catalog.customMetrics().flatMap((d) => d.resources.map((r) => `${r}/${d.name}`)),
    ...catalog.externalMetrics().map((d) => `external/${d.name}`),
  ]);
}

function kindToResource(apiVersion: string, kind: string): string {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';
  const ref = resolveResource(group ? `${kind}.${group}` : kind);
  if (!ref) throw new Error(`unknown kind ${kind} (${apiVersion})`);
  return groupResource(ref);
}

describe('hpa-examples', () => {
  const catalog = served();

  it('has the pipeline, storage and object examples', () => {
    expect(hpas.map((h) => h.obj.metadata.name)).to.include.members([
      'stt-worker', 'mt-worker', 'tts-worker', 'lipsync-worker', 'trainer', 'etl', 'translate-api',
    ]);
  });

  for (const { file, obj } of hpas) {
    it(`${file} (${obj.metadata.name}) uses only served metrics`, () => {
      expect(obj.apiVersion).to.equal('autoscaling/v2');
      expect(obj.spec.minReplicas).to.be.at.most(obj.spec.maxReplicas);
      for (const m of obj.spec.metrics) {
        if (m.type === 'Pods') expect(catalog, m.pods!.metric.name).to.include(`pods/${m.pods!.metric.name}`);
        if (m.type === 'External') expect(catalog, m.external!.metric.name).to.include(`external/${m.external!.metric.name}`);
        if (m.type === 'Object') {
          const o = m.object!;
          expect(catalog).to.include(`${kindToResource(o.describedObject.apiVersion, o.describedObject.kind)}/${o.metric.name}`);
        }
      }
    });
  }
});
