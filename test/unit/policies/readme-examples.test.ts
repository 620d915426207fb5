/** The README's copy-paste examples for both front-ends are valid input. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { compileAutoscalerRequest, compilePolicy, parseAutoscalerRequest, parsePolicySpec } from '../../../src/policies/index.js';

const README = readFileSync('README.md', 'utf8');

describe('README front-end examples', () => {
  it('the AIInferenceAutoscalerPolicy YAML is a valid policy', () => {
    const yaml = /```yaml\n(apiVersion: kubeai\.io\/v1alpha1\n[\s\S]*?)```/.exec(README)?.[1];
    expect(yaml, 'policy example in README.md').to.be.a('string');
    const doc = parse(yaml ?? '') as { kind: string; spec: unknown };
    expect(doc.kind).to.equal('AIInferenceAutoscalerPolicy');
    const r = parsePolicySpec(doc.spec);
    expect(r.ok, JSON.stringify(r)).to.equal(true);
    if (r.ok) expect(compilePolicy('inference', 'llm', r.value).hpa.metrics).to.have.length(4);
  });

  it('the curl POST body is a valid request', () => {
    const body = /-d '(\{[\s\S]*?\})'/.exec(README)?.[1];
    expect(body, 'curl -d body in README.md').to.be.a('string');
    const r = parseAutoscalerRequest(JSON.parse(body ?? '{}'));
    expect(r.ok, JSON.stringify(r)).to.equal(true);
    if (r.ok) expect(compileAutoscalerRequest(r.value).metrics).to.have.length(3);
  });
});
