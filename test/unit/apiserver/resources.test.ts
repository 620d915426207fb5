import { expect } from 'chai';
import { KNOWN_RESOURCES, resolveResource } from '../../../src/apiserver/resources.js';
import { groupResource } from '../../../src/provider/types.js';

describe('resolveResource', () => {
  const cases: [string, string | undefined][] = [
    ['pods', 'pods'],
    ['pod', 'pods'],
    ['Pods', 'pods'],
    ['POD', 'pods'],
    ['nodes', 'nodes'],
    ['node', 'nodes'],
    ['namespaces', 'namespaces'],
    ['namespace', 'namespaces'],
    ['services', 'services'],
    ['persistentvolumes', 'persistentvolumes'],
    ['persistentvolumeclaim', 'persistentvolumeclaims'],
    ['deployments.apps', 'deployments.apps'],
    ['deployment.apps', 'deployments.apps'],
    ['deployment', 'deployments.apps'],
    ['Deployment', 'deployments.apps'],
    ['Deployments.Apps', 'deployments.apps'],
    ['statefulsets.apps', 'statefulsets.apps'],
    ['replicaset', 'replicasets.apps'],
    ['daemonsets.apps', 'daemonsets.apps'],
    ['jobs.batch', 'jobs.batch'],
    ['cronjob.batch', 'cronjobs.batch'],
    ['ingresses.networking.k8s.io', 'ingresses.networking.k8s.io'],
    ['ingress', 'ingresses.networking.k8s.io'],
    ['horizontalpodautoscalers.autoscaling', 'horizontalpodautoscalers.autoscaling'],
    ['endpoints', 'endpoints'],
    ['pods.apps', undefined],
    ['deployments.extensions', undefined],
    ['deployments.', undefined],
    ['widgets', undefined],
    ['', undefined],
    ['*', undefined],
    ['po', undefined], // short names are kubectl's, not the RESTMapper's
  ];
  for (const [segment, expected] of cases) {
    it(`${JSON.stringify(segment)} → ${expected ?? 'undefined'}`, () => {
      const r = resolveResource(segment);
      expect(r === undefined ? undefined : groupResource(r)).to.equal(expected);
    });
  }

  it('describes core and grouped kinds for describedObject', () => {
    expect(resolveResource('pod')).to.deep.equal({ resource: 'pods', group: '', kind: 'Pod', apiVersion: 'v1', namespaced: true });
    expect(resolveResource('deployment.apps')).to.deep.equal({
      resource: 'deployments',
      group: 'apps',
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      namespaced: true,
    });
  });

  it('marks cluster-scoped resources', () => {
    for (const name of ['nodes', 'namespaces', 'persistentvolumes']) expect(resolveResource(name)?.namespaced).to.equal(false);
    const clusterScoped = KNOWN_RESOURCES.filter((r) => !r.namespaced).map((r) => r.resource);
    expect(clusterScoped).to.have.members(['nodes', 'namespaces', 'persistentvolumes']);
  });

  it('has unique, lower-case plural names per group', () => {
    const names = KNOWN_RESOURCES.map(groupResource);
    expect(new Set(names).size).to.equal(names.length);
    for (const r of KNOWN_RESOURCES) expect(r.resource).to.equal(r.resource.toLowerCase());
  });

  it('resolves every canonical name to itself', () => {
    for (const r of KNOWN_RESOURCES) expect(resolveResource(groupResource(r))).to.equal(r);
  });
});
