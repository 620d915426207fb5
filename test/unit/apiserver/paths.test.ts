import { expect } from 'chai';
import { isPathError, parseCustomPath, parseExternalPath } from '../../../src/apiserver/paths.js';
import { resolveResource } from '../../../src/apiserver/resources.js';
import type { ResourceRef } from '../../../src/provider/types.js';

const pods = resolveResource('pods') as ResourceRef;
const nodes = resolveResource('nodes') as ResourceRef;
const namespaces = resolveResource('namespaces') as ResourceRef;
const deployments = resolveResource('deployments.apps') as ResourceRef;

describe('parseCustomPath', () => {
  const ok: [string, string, unknown][] = [
    ['A: one namespaced object', 'namespaces/ml/pods/trainer-0/gpu', { form: 'object', resource: pods, namespace: 'ml', name: 'trainer-0', metric: 'gpu' }],
    ['A: grouped resource', 'namespaces/ml/deployments.apps/web/qps', { form: 'object', resource: deployments, namespace: 'ml', name: 'web', metric: 'qps' }],
    ['A: singular, any case', 'namespaces/ml/Pod/p/gpu', { form: 'object', resource: pods, namespace: 'ml', name: 'p', metric: 'gpu' }],
    ['B: wildcard', 'namespaces/ml/pods/*/gpu', { form: 'selector', resource: pods, namespace: 'ml', metric: 'gpu' }],
    ['B: wildcard as %2A', 'namespaces/ml/pods/%2A/gpu', { form: 'selector', resource: pods, namespace: 'ml', metric: 'gpu' }],
    ['B: wildcard as %2a', 'namespaces/ml/pods/%2a/gpu', { form: 'selector', resource: pods, namespace: 'ml', metric: 'gpu' }],
    ['C: the namespace itself', 'namespaces/ml/metrics/queue_age', { form: 'object', resource: namespaces, name: 'ml', metric: 'queue_age' }],
    ['D: cluster-scoped object', 'nodes/gpu-node-1/gpu', { form: 'object', resource: nodes, name: 'gpu-node-1', metric: 'gpu' }],
    ['D: a namespace by name', 'namespaces/ml/gpu', { form: 'object', resource: namespaces, name: 'ml', metric: 'gpu' }],
    // Three segments are always form D, even when the last one looks like a resource.
    ['D: namespaces/{ns}/pods is metric "pods" of the namespace', 'namespaces/ml/pods', { form: 'object', resource: namespaces, name: 'ml', metric: 'pods' }],
    ['D: namespaces/{ns}/metrics is metric "metrics"', 'namespaces/ml/metrics', { form: 'object', resource: namespaces, name: 'ml', metric: 'metrics' }],
    ['E: cluster-scoped wildcard', 'nodes/*/gpu', { form: 'selector', resource: nodes, metric: 'gpu' }],
    ['E: namespaced resource across all namespaces', 'pods/*/gpu', { form: 'selector', resource: pods, metric: 'gpu' }],
    ['cluster-scoped under a namespace ignores it', 'namespaces/ml/nodes/n1/gpu', { form: 'object', resource: nodes, name: 'n1', metric: 'gpu' }],
    ['cluster-scoped wildcard under a namespace', 'namespaces/ml/nodes/*/gpu', { form: 'selector', resource: nodes, metric: 'gpu' }],
    ['status after a namespace is a subresource', 'namespaces/ml/status', { form: 'object', resource: namespaces, name: 'ml', metric: 'status' }],
    ['finalize after a namespace is a subresource', 'namespaces/ml/finalize', { form: 'object', resource: namespaces, name: 'ml', metric: 'finalize' }],
    ['leading and trailing slashes', '/namespaces/ml/pods/p/gpu/', { form: 'object', resource: pods, namespace: 'ml', name: 'p', metric: 'gpu' }],
    ['percent-decoded segments', 'namespaces/m%6C/pods/p%2D1/g%70u', { form: 'object', resource: pods, namespace: 'ml', name: 'p-1', metric: 'gpu' }],
    ['metric named like a keyword', 'namespaces/ml/pods/*/metrics', { form: 'selector', resource: pods, namespace: 'ml', metric: 'metrics' }],
  ];
  for (const [what, tail, expected] of ok) {
    it(`${what}: ${tail}`, () => {
      expect(parseCustomPath(tail)).to.deep.equal(expected);
    });
  }

  const errors: [string, string, 400 | 404, string][] = [
    ['empty', '', 400, 'invalid request path'],
    ['only namespaces', 'namespaces', 400, 'invalid request path'],
    ['namespace without resource', 'namespaces/ml', 400, 'invalid request path'],
    ['no metric', 'namespaces/ml/pods/foo', 400, 'invalid request path'],
    ['root, two segments', 'nodes/n1', 400, 'invalid request path'],
    ['too many segments', 'namespaces/ml/pods/p/gpu/extra', 404, 'the server could not find the requested resource'],
    ['too many root segments', 'nodes/n1/gpu/extra', 404, 'the server could not find the requested resource'],
    ['status with more segments', 'namespaces/ml/status/x', 404, 'the server could not find the requested resource'],
    ['empty inner segment', 'namespaces/ml//p/gpu', 404, 'the server could not find the requested resource'],
    ['unknown resource', 'namespaces/ml/widgets/w/gpu', 404, 'the server could not find the metric gpu for widgets'],
    ['resource with the wrong group', 'namespaces/ml/pods.apps/*/gpu', 404, 'the server could not find the metric gpu for pods.apps'],
    ['single namespaced object without namespace', 'pods/p/gpu', 400, 'pods is namespaced'],
    ['metric "."', 'namespaces/ml/pods/*/.', 400, 'invalid metric name "."'],
    ['metric ".."', 'namespaces/ml/pods/*/..', 400, 'invalid metric name ".."'],
    ['metric with encoded slash', 'namespaces/ml/pods/*/a%2Fb', 400, 'invalid metric name "a/b"'],
    ['metric with encoded percent', 'namespaces/ml/pods/*/a%25b', 400, 'invalid metric name "a%b"'],
    ['name with encoded slash', 'namespaces/ml/pods/a%2Fb/gpu', 400, 'invalid name "a/b"'],
    ['name ".."', 'nodes/../gpu', 400, 'invalid name ".."'],
    ['namespace ".."', 'namespaces/../pods/*/gpu', 400, 'invalid namespace ".."'],
    ['bad percent-encoding', 'namespaces/ml/pods/*/gpu%zz', 400, 'bad percent-encoding'],
    ['truncated percent-encoding', 'namespaces/ml/pods/*/gpu%', 400, 'bad percent-encoding'],
  ];
  for (const [what, tail, code, message] of errors) {
    it(`${what}: ${JSON.stringify(tail)} → ${code}`, () => {
      const r = parseCustomPath(tail);
      expect(isPathError(r), JSON.stringify(r)).to.equal(true);
      if (!isPathError(r)) return;
      expect(r.error.code).to.equal(code);
      expect(r.error.message).to.include(message);
    });
  }

  it('uses the given resolver, so configured resources can be served', () => {
    const widgets: ResourceRef = { resource: 'widgets', group: 'example.com', kind: 'Widget', apiVersion: 'example.com/v1', namespaced: true };
    const resolve = (s: string): ResourceRef | undefined => (s === 'widgets.example.com' ? widgets : resolveResource(s));
    expect(parseCustomPath('namespaces/ml/widgets.example.com/w1/depth', resolve)).to.deep.equal({
      form: 'object',
      resource: widgets,
      namespace: 'ml',
      name: 'w1',
      metric: 'depth',
    });
  });
});

describe('parseExternalPath', () => {
  it('parses namespaces/{ns}/{metric}', () => {
    expect(parseExternalPath('namespaces/ml/redis_queue_depth')).to.deep.equal({ namespace: 'ml', metric: 'redis_queue_depth' });
  });

  it('percent-decodes and tolerates outer slashes', () => {
    expect(parseExternalPath('/namespaces/m%6C/q%5Fdepth/')).to.deep.equal({ namespace: 'ml', metric: 'q_depth' });
  });

  it('accepts the metric names status and finalize (no RequestInfo mis-routing here)', () => {
    expect(parseExternalPath('namespaces/ml/status')).to.deep.equal({ namespace: 'ml', metric: 'status' });
  });

  const errors: [string, 400 | 404][] = [
    ['', 404],
    ['namespaces', 404],
    ['namespaces/ml', 404],
    ['namespaces/ml/a/b', 404],
    ['redis_queue_depth', 404],
    ['ns/ml/redis_queue_depth', 404],
    ['pods/x/y', 404],
    ['namespaces//q', 404],
    ['namespaces/ml/..', 400],
    ['namespaces/ml/.', 400],
    ['namespaces/ml/a%2Fb', 400],
    ['namespaces/ml/a%25b', 400],
    ['namespaces/../q', 400],
    ['namespaces/ml/%E0%A4%A', 400],
  ];
  for (const [tail, code] of errors) {
    it(`${JSON.stringify(tail)} → ${code}`, () => {
      const r = parseExternalPath(tail);
      expect(isPathError(r), JSON.stringify(r)).to.equal(true);
      if (isPathError(r)) expect(r.error.code).to.equal(code);
    });
  }
});
