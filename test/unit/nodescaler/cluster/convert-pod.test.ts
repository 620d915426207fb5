import { expect } from 'chai';
import { toPodInfo } from '../../../../src/nodescaler/cluster/convert-pod.js';
import { compileLabelSelector } from '../../../../src/nodescaler/cluster/label-selector.js';
import { iso, pdb, pod, T0 } from './objects.js';

describe('node-scaler cluster: toPodInfo', () => {
  it('drops terminal pods', () => {
    expect(toPodInfo(pod('done', { phase: 'Succeeded' }), [])).to.equal(undefined);
    expect(toPodInfo(pod('broke', { phase: 'Failed' }), [])).to.equal(undefined);
    expect(toPodInfo(pod('run', { node: 'n1' }), [])?.phase).to.equal('Running');
  });

  it('sums extended-resource requests over containers, MIG profiles included, and leaves cpu/memory out', () => {
    const p = pod('mig', {}, (x) => {
      x.spec!.containers = [
        { name: 'a', resources: { requests: { cpu: '2', 'nvidia.com/mig-1g.10gb': '2' } } },
        { name: 'b', resources: { requests: { 'nvidia.com/mig-1g.10gb': '1', 'hugepages-2Mi': '1Gi' } } },
        // A limit without a request counts: the API server copies it into the request.
        { name: 'c', resources: { limits: { 'nvidia.com/gpu': '1' } } },
      ];
    });
    expect(toPodInfo(p, [])?.requests).to.deep.equal({ 'nvidia.com/mig-1g.10gb': 3, 'nvidia.com/gpu': 1 });
  });

  it('takes max(largest init step, containers + sidecars) like the scheduler', () => {
    const p = pod('init', {}, (x) => {
      x.spec!.containers = [{ name: 'main', resources: { requests: { 'nvidia.com/gpu': '2' } } }];
      x.spec!.initContainers = [{ name: 'warm', resources: { requests: { 'nvidia.com/gpu': '4' } } }];
    });
    expect(toPodInfo(p, [])?.requests).to.deep.equal({ 'nvidia.com/gpu': 4 });
    const sidecar = pod('sidecar', {}, (x) => {
      x.spec!.containers = [{ name: 'main', resources: { requests: { 'nvidia.com/gpu': '2' } } }];
      x.spec!.initContainers = [
        { name: 'proxy', restartPolicy: 'Always', resources: { requests: { 'nvidia.com/gpu': '1' } } },
        { name: 'setup', resources: { requests: { 'nvidia.com/gpu': '2' } } },
      ];
    });
    // containers 2 + sidecar 1 = 3; init step "setup" runs beside the sidecar: 2 + 1 = 3.
    expect(toPodInfo(sidecar, [])?.requests).to.deep.equal({ 'nvidia.com/gpu': 3 });
  });

  it('reads the Unschedulable transition time, from a string or a Date', () => {
    const at = T0 - 45_000;
    const p = pod('pending', { gpus: 8 }, (x) => {
      x.status!.conditions = [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', lastTransitionTime: iso(at) as unknown as Date }];
    });
    expect(toPodInfo(p, [])?.unschedulableSince).to.equal(at);
    p.status!.conditions![0]!.lastTransitionTime = new Date(at);
    expect(toPodInfo(p, [])?.unschedulableSince).to.equal(at);
    p.status!.conditions![0]!.reason = 'SchedulerError';
    expect(toPodInfo(p, [])).to.not.have.property('unschedulableSince');
  });

  it('copies scheduling, ownership and removal facts', () => {
    const p = pod('full', { node: 'n1', gpus: 1 }, (x) => {
      x.metadata!.ownerReferences = [
        { apiVersion: 'v1', kind: 'Foo', name: 'other', uid: 'o1' },
        { apiVersion: 'batch/v1', kind: 'Job', name: 'train', uid: 'j1', controller: true },
      ];
      x.metadata!.annotations = { 'kubernetes.io/config.mirror': 'abc' };
      x.metadata!.deletionTimestamp = new Date(T0);
      x.spec!.priority = 1000;
      x.spec!.priorityClassName = 'high';
      x.spec!.schedulingGates = [{ name: 'wait' }];
      x.spec!.terminationGracePeriodSeconds = 90;
      x.spec!.volumes = [{ name: 'scratch', emptyDir: {} }, { name: 'host', hostPath: { path: '/x' } }, { name: 'cfg', configMap: { name: 'c' } }];
      x.spec!.nodeSelector = { pool: 'a' };
      x.spec!.tolerations = [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 5 }];
      x.spec!.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
        { matchExpressions: [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] }] },
        { matchExpressions: [{ key: 'gpu', operator: 'Exists' }], matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n9'] }] },
      ] } } };
      x.status!.nominatedNodeName = 'n2';
      x.status!.startTime = iso(T0 - 60_000) as unknown as Date;
    });
    const info = toPodInfo(p, [])!;
    expect(info).to.include({ uid: 'uid-full', namespace: 'ml', name: 'full', nodeName: 'n1', priority: 1000, priorityClassName: 'high',
      nominatedNodeName: 'n2', schedulingGated: true, mirror: true, terminationGracePeriodSeconds: 90, startedAt: T0 - 60_000, terminating: true });
    expect(info.owner).to.deep.equal({ kind: 'Job', name: 'train', controller: true });
    expect(info.localVolumes).to.deep.equal(['scratch', 'host']);
    expect(info.nodeSelector).to.deep.equal({ pool: 'a' });
    expect(info.tolerations).to.deep.equal([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect(info.requiredNodeAffinity).to.deep.equal([
      [{ key: 'karpenter.sh/capacity-type', operator: 'In', values: ['on-demand'] }],
      [{ key: 'gpu', operator: 'Exists' }, { key: 'metadata.name', operator: 'In', values: ['n9'] }],
    ]);
  });

  it('leaves optional fields out of a plain pod', () => {
    const info = toPodInfo(pod('plain'), [])!;
    expect(Object.keys(info).sort()).to.deep.equal(['annotations', 'labels', 'name', 'namespace', 'phase', 'priority', 'requests', 'uid']);
  });

  describe('PDB links (policy/v1 selector semantics)', () => {
    const labels = { app: 'train', tier: 'gpu' };
    const link = (...pdbs: ReturnType<typeof pdb>[]) => toPodInfo(pod('p', { labels }), pdbs)?.pdbs;

    it('matchLabels and matchExpressions are ANDed', () => {
      expect(link(pdb('a', { matchLabels: { app: 'train' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['gpu', 'x'] }] }))).to.deep.equal(['ml/a']);
      expect(link(pdb('b', { matchLabels: { app: 'train' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['gpu'] }] }))).to.equal(undefined);
    });

    it('supports Exists and DoesNotExist', () => {
      expect(link(pdb('a', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }), pdb('b', { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }))).to.deep.equal(['ml/a', 'ml/b']);
      expect(link(pdb('c', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }))).to.equal(undefined);
    });

    it('an empty selector selects every pod of its namespace, a null one none', () => {
      expect(link(pdb('all', {}), pdb('none', undefined))).to.deep.equal(['ml/all']);
      expect(link(pdb('other-ns', {}, 'elsewhere'))).to.equal(undefined);
    });

    it('a selector the API would reject selects nothing', () => {
      expect(compileLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] })({ a: '2' })).to.equal(false);
      expect(compileLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] })({ a: '' })).to.equal(false);
    });

    it('reports every matching PDB (decide() treats several as blocking)', () => {
      expect(link(pdb('x', { matchLabels: { app: 'train' } }), pdb('y', {}))).to.deep.equal(['ml/x', 'ml/y']);
    });
  });
});
