import { expect } from 'chai';
import { NameMapper, renderMatcher, ResourceMapper } from '../../../src/promadapter/index.js';

describe('prometheus-adapter naming and matchers', () => {
  it('defaults: no matches → the series name; one group → $1; several groups need as', () => {
    expect(new NameMapper(undefined, undefined).apiName('redis_queue_depth')).to.equal('redis_queue_depth');
    expect(new NameMapper('^(.*)_total$', undefined).apiName('http_requests_total')).to.equal('http_requests');
    expect(new NameMapper('^(.*)_total$', '${1}_per_second').apiName('http_requests_total')).to.equal('http_requests_per_second');
    expect(new NameMapper('^(.*)_total$', '$1_per_second').apiName('http_requests_total')).to.equal('');
    expect(new NameMapper('^(?P<base>.*)_seconds_total$', '${base}_rate').apiName('cpu_seconds_total')).to.equal('cpu_rate');
    expect(new NameMapper('^DCGM_FI_DEV_GPU_UTIL$', 'nvidia_gpu_duty_cycle').apiName('DCGM_FI_DEV_GPU_UTIL')).to.equal('nvidia_gpu_duty_cycle');
    expect(new NameMapper('^(a)(b)$', '$2$$$1').apiName('ab')).to.equal('b$a');
    expect(new NameMapper('^(.*)_total$', undefined).apiName('up')).to.equal(undefined);
    expect(() => new NameMapper('^(a)_(b)$', undefined)).to.throw(/2 capture groups: set name.as/);
  });

  it('renders selector requirements as prometheus-adapter does', () => {
    const table: [Parameters<typeof renderMatcher>[0], string][] = [
      [{ key: 'pod', op: '=', values: ['a'] }, 'pod="a"'],
      [{ key: 'pod', op: '==', values: ['a', 'b'] }, 'pod=~"a|b"'],
      [{ key: 'pod', op: '!=', values: ['a'] }, 'pod!="a"'],
      [{ key: 'pod', op: '!=', values: ['a', 'b'] }, 'pod!~"a|b"'],
      [{ key: 'pod', op: 'in', values: ['a'] }, 'pod=~"a"'],
      [{ key: 'pod', op: 'in', values: ['a', 'b'] }, 'pod=~"a|b"'],
      [{ key: 'pod', op: 'notin', values: ['a'] }, 'pod!~"a"'],
      [{ key: 'pod', op: 'notin', values: ['a', 'b'] }, 'pod!~"a|b"'],
      [{ key: 'pod', op: 'exists', values: [] }, 'pod!=""'],
      [{ key: 'pod', op: '!', values: [] }, 'pod=""'],
      [{ key: 'q', op: '=', values: ['say "hi"\\'] }, 'q="say \\"hi\\"\\\\"'],
    ];
    for (const [req, want] of table) expect(renderMatcher(req), want).to.equal(want);
    expect(() => renderMatcher({ key: 'pod', op: '=', values: [] })).to.throw(/needs a value/);
    expect(() => renderMatcher({ key: 'n', op: 'gt', values: ['1'] })).to.throw(/no PromQL matcher/);
  });

  it('maps labels to resources through overrides and the template', () => {
    const o = new ResourceMapper({ overrides: { kubernetes_namespace: { resource: 'namespace' }, kubernetes_pod_name: { resource: 'pod' } } });
    expect(o.resourceFor('kubernetes_pod_name')?.resource).to.equal('pods');
    expect(o.namespaceLabel()).to.equal('kubernetes_namespace');
    expect(o.resourceFor('pod')).to.equal(undefined);
    const t = new ResourceMapper({ template: '<<.Resource>>' });
    expect(t.resourceFor('pod')?.resource).to.equal('pods');
    expect(t.resourceFor('service')?.resource).to.equal('services');
    expect(t.resourceFor('instance')).to.equal(undefined);
    expect(t.namespaceLabel()).to.equal('namespace');
    const g = new ResourceMapper({ template: 'kube_<<.Group>>_<<.Resource>>' });
    expect(g.resourceFor('kube_apps_deployment')?.group).to.equal('apps');
    // The lazy group capture stops at the first "_", as Go's leftmost-first RE2 does: dotted groups never resolve.
    expect(g.resourceFor('kube_networking_k8s_io_ingress')).to.equal(undefined);
    expect(g.namespaceLabel()).to.equal(undefined);
    const u = new ResourceMapper({ overrides: { x: { group: 'example.com', resource: 'widgets' } } });
    expect(u.unknownOverrides).to.deep.equal([{ label: 'x', resource: 'widgets.example.com' }]);
  });
});
