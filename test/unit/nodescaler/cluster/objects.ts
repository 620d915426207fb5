import type { V1LabelSelector, V1Node, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';

/** Small builders of Kubernetes objects as the API returns them (timestamps as strings, like a watch event). */

export const T0 = Date.parse('2026-03-02T12:00:00Z');
export const iso = (ms: number) => new Date(ms).toISOString();

export function pod(name: string, over: { ns?: string; node?: string; gpus?: number; phase?: string; labels?: Record<string, string> } = {}, patch: (p: V1Pod) => void = () => undefined): V1Pod {
  const p: V1Pod = {
    metadata: { name, namespace: over.ns ?? 'ml', uid: `uid-${name}`, labels: over.labels ?? { app: name }, creationTimestamp: new Date(T0) },
    spec: {
      containers: [{ name: 'main', resources: { requests: { cpu: '1', memory: '1Gi', ...(over.gpus ? { 'nvidia.com/gpu': String(over.gpus) } : {}) } } }],
      ...(over.node ? { nodeName: over.node } : {}),
    },
    status: { phase: over.phase ?? (over.node ? 'Running' : 'Pending') },
  };
  patch(p);
  return p;
}

export function node(name: string, over: { labels?: Record<string, string>; gpus?: string; ready?: boolean } = {}, patch: (n: V1Node) => void = () => undefined): V1Node {
  const n: V1Node = {
    metadata: { name, labels: over.labels ?? {}, annotations: {}, creationTimestamp: iso(T0 - 3_600_000) as unknown as Date },
    spec: {},
    status: {
      allocatable: { cpu: '32', memory: '256Gi', ...(over.gpus !== undefined ? { 'nvidia.com/gpu': over.gpus } : {}) },
      conditions: [{ type: 'Ready', status: over.ready === false ? 'False' : 'True' }],
    },
  };
  patch(n);
  return n;
}

export function pdb(name: string, selector: V1LabelSelector | undefined, ns = 'ml', allowed?: number): V1PodDisruptionBudget {
  return {
    metadata: { name, namespace: ns, generation: 1 },
    spec: { ...(selector !== undefined ? { selector } : {}), maxUnavailable: 1 },
    ...(allowed !== undefined ? { status: { disruptionsAllowed: allowed, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1, observedGeneration: 1 } } : {}),
  };
}
