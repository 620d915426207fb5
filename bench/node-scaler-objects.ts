import type { V1Node, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { ActuatorObservation } from '../src/nodescaler/cluster/contracts.js';
import type { ClusterObjects } from '../src/nodescaler/cluster/snapshot-builder.js';
import type { Snapshot } from '../src/nodescaler/types.js';

/**
 * The bench snapshot as the informers would hold it: Kubernetes objects (timestamps as the
 * strings a watch delivers) plus the engines' observations, so the bench can time the whole
 * tick — buildSnapshot() and decide() — on the same cluster as the decide() rows.
 */
export function benchObjects(snap: Snapshot): { objects: ClusterObjects; observations: Map<string, ActuatorObservation> } {
  const iso = (ms: number) => new Date(ms).toISOString() as unknown as Date;
  const nodes: V1Node[] = snap.nodes.map((n) => ({
    metadata: { name: n.name, labels: { 'nvidia.com/gpu.present': 'true' }, annotations: n.annotations, creationTimestamp: iso(n.createdAt) },
    spec: { unschedulable: n.unschedulable, taints: n.taints },
    status: { allocatable: { cpu: '64', memory: '512Gi', 'nvidia.com/gpu': String(n.gpuAllocatable) }, conditions: [{ type: 'Ready', status: n.ready ? 'True' : 'False' }] },
  }));
  const pods: V1Pod[] = snap.pods.map((p) => ({
    metadata: {
      name: p.name, namespace: p.namespace, uid: p.uid, labels: { app: p.owner?.name ?? p.name }, annotations: p.annotations,
      ownerReferences: p.owner ? [{ apiVersion: 'apps/v1', kind: p.owner.kind, name: p.owner.name, uid: `o-${p.owner.name}`, controller: p.owner.controller }] : undefined,
    },
    spec: {
      nodeName: p.nodeName, priority: p.priority, nodeSelector: p.nodeSelector,
      containers: [{ name: 'main', resources: { requests: { cpu: '1', memory: '1Gi', ...Object.fromEntries(Object.entries(p.requests).map(([k, v]) => [k, String(v)])) } } }],
    },
    status: {
      phase: p.phase,
      ...(p.startedAt !== undefined ? { startTime: iso(p.startedAt) } : {}),
      ...(p.unschedulableSince !== undefined ? { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', lastTransitionTime: iso(p.unschedulableSince) }] } : {}),
    },
  }));
  const pdbs: V1PodDisruptionBudget[] = snap.pdbs.map((b) => ({
    metadata: { name: b.name, namespace: b.namespace, generation: 1 },
    spec: { selector: { matchLabels: { app: `rs-${b.name.slice(4)}` } }, maxUnavailable: 1 },
    status: { disruptionsAllowed: b.disruptionsAllowed, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, observedGeneration: 1 },
  }));
  const observations = new Map<string, ActuatorObservation>();
  for (const p of snap.pools) observations.set(p.name, { desired: p.desired, nodes: snap.nodes.filter((n) => n.pool === p.name).map((n) => n.name) });
  return { objects: { pods, nodes, pdbs }, observations };
}
