import { expect } from 'chai';
import { requestAttributes } from '../../../src/auth/index.js';

const CM = 'custom.metrics.k8s.io';
const EM = 'external.metrics.k8s.io';

/** Expected values follow k8s.io/apiserver/pkg/endpoints/request/requestinfo.go. */
describe('requestAttributes (Kubernetes RequestInfo)', () => {
  const resource = (o: Partial<Record<'verb' | 'namespace' | 'group' | 'version' | 'resource' | 'subresource' | 'name', string>>) => ({
    kind: 'resource', verb: 'get', namespace: '', group: '', version: '', resource: '', subresource: '', name: '', ...o,
  });
  const table: [string, string, string, object][] = [
    ['GET', `/apis/${CM}/v1beta2/namespaces/ml/pods/p1/gpu`, '', resource({ namespace: 'ml', group: CM, version: 'v1beta2', resource: 'pods', name: 'p1', subresource: 'gpu' })],
    ['GET', `/apis/${CM}/v1beta2/namespaces/ml/pods/*/gpu`, 'labelSelector=a%3Db', resource({ namespace: 'ml', group: CM, version: 'v1beta2', resource: 'pods', name: '*', subresource: 'gpu' })],
    ['GET', `/apis/${CM}/v1beta2/namespaces/ml/metrics/gpu`, '', resource({ namespace: 'ml', group: CM, version: 'v1beta2', resource: 'metrics', name: 'gpu' })],
    ['GET', `/apis/${CM}/v1beta1/nodes/n1/gpu`, '', resource({ group: CM, version: 'v1beta1', resource: 'nodes', name: 'n1', subresource: 'gpu' })],
    ['GET', `/apis/${CM}/v1beta1/nodes/*/gpu`, '', resource({ group: CM, version: 'v1beta1', resource: 'nodes', name: '*', subresource: 'gpu' })],
    ['GET', `/apis/${CM}/v1beta2/namespaces/ml/deployments.apps/web/lat`, '', resource({ namespace: 'ml', group: CM, version: 'v1beta2', resource: 'deployments.apps', name: 'web', subresource: 'lat' })],
    // namespaces/{ns}/{metric}: the metric is read as a resource of that namespace, listed.
    ['GET', `/apis/${CM}/v1beta2/namespaces/ml/gpu`, '', resource({ verb: 'list', namespace: 'ml', group: CM, version: 'v1beta2', resource: 'gpu' })],
    // namespaces/{ns}/status is a namespace subresource.
    ['GET', `/apis/${CM}/v1beta2/namespaces/ml/status`, '', resource({ namespace: 'ml', group: CM, version: 'v1beta2', resource: 'namespaces', name: 'ml', subresource: 'status' })],
    ['GET', `/apis/${EM}/v1beta1/namespaces/ml/queue`, 'labelSelector=q%3Dx', resource({ verb: 'list', namespace: 'ml', group: EM, version: 'v1beta1', resource: 'queue' })],
    ['GET', `/apis/${EM}/v1beta1/namespaces/ml/queue`, 'watch=true', resource({ verb: 'watch', namespace: 'ml', group: EM, version: 'v1beta1', resource: 'queue' })],
    ['GET', `/apis/${EM}/v1beta1/namespaces/ml/queue`, 'watch=0', resource({ verb: 'list', namespace: 'ml', group: EM, version: 'v1beta1', resource: 'queue' })],
    ['GET', `/apis/${EM}/v1beta1/namespaces/ml/queue`, 'watch=False', resource({ verb: 'list', namespace: 'ml', group: EM, version: 'v1beta1', resource: 'queue' })],
    ['GET', `/apis/${EM}/v1beta1/watch/namespaces/ml/queue`, '', resource({ verb: 'watch', namespace: 'ml', group: EM, version: 'v1beta1', resource: 'queue' })],
    // A metadata.name field selector is deliberately not turned into a name (see the module doc).
    ['GET', `/apis/${EM}/v1beta1/namespaces/ml/queue`, 'fieldSelector=metadata.name%3Dq', resource({ verb: 'list', namespace: 'ml', group: EM, version: 'v1beta1', resource: 'queue' })],
    ['HEAD', `/apis/${EM}/v1beta1/namespaces/ml/queue`, '', resource({ verb: 'list', namespace: 'ml', group: EM, version: 'v1beta1', resource: 'queue' })],
    ['POST', `/apis/${CM}/v1beta2/namespaces/ml/pods/p1/gpu`, '', resource({ verb: 'create', namespace: 'ml', group: CM, version: 'v1beta2', resource: 'pods', name: 'p1', subresource: 'gpu' })],
    ['DELETE', `/apis/${EM}/v1beta1/namespaces/ml/queue`, '', resource({ verb: 'deletecollection', namespace: 'ml', group: EM, version: 'v1beta1', resource: 'queue' })],
    ['GET', '/api/v1/namespaces/ml/pods', '', resource({ verb: 'list', namespace: 'ml', version: 'v1', resource: 'pods' })],
    ['GET', '/apis', '', { kind: 'nonResource', verb: 'get', path: '/apis' }],
    ['GET', `/apis/${CM}`, '', { kind: 'nonResource', verb: 'get', path: `/apis/${CM}` }],
    ['GET', `/apis/${CM}/v1beta2`, '', { kind: 'nonResource', verb: 'get', path: `/apis/${CM}/v1beta2` }],
    ['GET', `/apis/${CM}/v1beta2/`, '', { kind: 'nonResource', verb: 'get', path: `/apis/${CM}/v1beta2/` }],
    ['HEAD', `/apis/${CM}/v1beta2`, '', { kind: 'nonResource', verb: 'head', path: `/apis/${CM}/v1beta2` }],
    ['GET', '/metrics', '', { kind: 'nonResource', verb: 'get', path: '/metrics' }],
    ['GET', '/', '', { kind: 'nonResource', verb: 'get', path: '/' }],
  ];
  for (const [method, path, query, want] of table) {
    it(`${method} ${path}${query ? `?${query}` : ''}`, () => {
      expect(requestAttributes(method, path, query)).to.deep.equal(want);
    });
  }
});
