import type { V1Container, V1NodeSelectorTerm, V1Pod, V1PodDisruptionBudget, V1Toleration } from '@kubernetes/client-node';
import type { NodeSelectorRequirement, PodInfo, PodOwner, Toleration } from '../types.js';
import { PdbIndex } from './label-selector.js';
import { quantity, stringMap, toMillis } from './object-fields.js';

/**
 * A live Pod as decide() sees it (docs/node-scaler.md, "Snapshot and plan"). Pure: the
 * snapshot builder calls it once per pod per tick, so it copies only what decide() reads.
 */

const PHASES: ReadonlySet<string> = new Set(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']);
const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/**
 * undefined for terminal pods (Succeeded/Failed): they hold no resources and never need a node.
 * `pdbs` may hold PDBs of any namespace; only those of the pod's namespace can match. Converting
 * many pods, pass one PdbIndex so the selectors are compiled once.
 */
export function toPodInfo(pod: V1Pod, pdbs: readonly V1PodDisruptionBudget[] | PdbIndex): PodInfo | undefined {
  const phase = podPhase(pod.status?.phase);
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  const meta = pod.metadata ?? {};
  const spec = pod.spec;
  const namespace = meta.namespace ?? '';
  const labels = stringMap(meta.labels);
  const annotations = stringMap(meta.annotations);
  const info: PodInfo = {
    uid: meta.uid ?? `${namespace}/${meta.name ?? ''}`,
    namespace,
    name: meta.name ?? '',
    phase,
    priority: spec?.priority ?? 0,
    requests: extendedRequests(spec?.containers ?? [], spec?.initContainers ?? []),
    labels,
    annotations,
  };
  // Optional fields are set only when present (no `key: undefined`), one named store each:
  // a generic keyed setter is measurably slower over 30 000 pods.
  const nodeName = spec?.nodeName;
  if (nodeName) info.nodeName = nodeName;
  const priorityClassName = spec?.priorityClassName;
  if (priorityClassName) info.priorityClassName = priorityClassName;
  const since = unschedulableSince(pod);
  if (since !== undefined) info.unschedulableSince = since;
  const nominated = pod.status?.nominatedNodeName;
  if (nominated) info.nominatedNodeName = nominated;
  if ((spec?.schedulingGates?.length ?? 0) > 0) info.schedulingGated = true;
  const owner = controllerOwner(pod);
  if (owner) info.owner = owner;
  if (annotations[MIRROR_ANNOTATION] !== undefined) info.mirror = true;
  const local = localVolumes(pod);
  if (local) info.localVolumes = local;
  const matched = (pdbs instanceof PdbIndex ? pdbs : new PdbIndex(pdbs)).matching(namespace, labels);
  if (matched) info.pdbs = matched;
  const grace = spec?.terminationGracePeriodSeconds;
  if (grace !== undefined && grace !== null) info.terminationGracePeriodSeconds = grace;
  const startedAt = toMillis(pod.status?.startTime);
  if (startedAt !== undefined) info.startedAt = startedAt;
  if (meta.deletionTimestamp) info.terminating = true;
  addConstraints(info, pod);
  return info;
}

function podPhase(raw: string | undefined): PodInfo['phase'] {
  if (raw === undefined) return 'Pending';
  return PHASES.has(raw) ? (raw as PodInfo['phase']) : 'Unknown';
}

/**
 * Extended resources (`nvidia.com/gpu`, MIG profiles, …) the scheduler reserves for the pod:
 * max(Σ regular containers + sidecars, the largest init step), as the scheduler's PodRequests
 * does. Sidecars (init containers with restartPolicy Always) keep running, so they add to both.
 */
export function extendedRequests(containers: readonly V1Container[], initContainers: readonly V1Container[]): Record<string, number> {
  const total: Record<string, number> = {};
  for (const c of containers) add(total, containerRequests(c));
  if (initContainers.length === 0) return total;
  const sidecars: Record<string, number> = {};
  const initPeak: Record<string, number> = {};
  for (const c of initContainers) {
    const own = containerRequests(c);
    if (c.restartPolicy === 'Always') {
      add(total, own);
      add(sidecars, own);
      max(initPeak, sidecars);
    } else {
      const step = { ...sidecars };
      add(step, own);
      max(initPeak, step);
    }
  }
  max(total, initPeak);
  return total;
}

/**
 * A container's extended-resource requests (undefined when none: most containers ask only for
 * cpu and memory, and this runs for every container of every pod each tick). The API server
 * copies a limit into an absent request (extended resources cannot be overcommitted), so the
 * limit counts when the request is missing.
 */
function containerRequests(c: V1Container): Record<string, number> | undefined {
  const { requests, limits } = c.resources ?? {};
  let out: Record<string, number> | undefined;
  for (const name in requests) if (isExtendedResource(name)) out = setAmount(out, name, requests[name]);
  for (const name in limits) if (requests?.[name] === undefined && isExtendedResource(name)) out = setAmount(out, name, limits[name]);
  return out;
}

function setAmount(out: Record<string, number> | undefined, name: string, raw: string | undefined): Record<string, number> | undefined {
  const amount = quantity(raw);
  if (amount === undefined || amount <= 0) return out;
  const into = out ?? {};
  into[name] = amount;
  return into;
}

/** Domain-prefixed names outside kubernetes.io (`nvidia.com/gpu`, `amd.com/gpu`), not cpu/memory/hugepages. */
function isExtendedResource(name: string): boolean {
  const slash = name.indexOf('/');
  if (slash < 0) return false;
  const domain = name.slice(0, slash);
  return domain !== 'kubernetes.io' && !domain.endsWith('.kubernetes.io') && !name.startsWith('requests.');
}

function add(into: Record<string, number>, from: Readonly<Record<string, number>> | undefined): void {
  for (const k in from) into[k] = (into[k] ?? 0) + (from[k] ?? 0);
}

function max(into: Record<string, number>, from: Readonly<Record<string, number>>): void {
  for (const k in from) into[k] = Math.max(into[k] ?? 0, from[k] ?? 0);
}

/** When the scheduler last found no node: PodScheduled=False, reason Unschedulable. */
function unschedulableSince(pod: V1Pod): number | undefined {
  const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled');
  if (!c || c.status !== 'False' || c.reason !== 'Unschedulable') return undefined;
  return toMillis(c.lastTransitionTime);
}

function controllerOwner(pod: V1Pod): PodOwner | undefined {
  const refs = pod.metadata?.ownerReferences ?? [];
  const ref = refs.find((r) => r.controller === true) ?? refs[0];
  return ref ? { kind: ref.kind, name: ref.name, controller: ref.controller === true } : undefined;
}

/** emptyDir and hostPath volumes: their data dies with the node (CA's local-storage rule). */
function localVolumes(pod: V1Pod): string[] | undefined {
  let out: string[] | undefined;
  for (const v of pod.spec?.volumes ?? []) if (v.emptyDir || v.hostPath) (out ??= []).push(v.name);
  return out;
}

function addConstraints(info: PodInfo, pod: V1Pod): void {
  const spec = pod.spec;
  if (spec?.nodeSelector && hasKeys(spec.nodeSelector)) info.nodeSelector = { ...spec.nodeSelector };
  const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && terms.length > 0) info.requiredNodeAffinity = terms.map(termRequirements);
  if (spec?.tolerations && spec.tolerations.length > 0) info.tolerations = spec.tolerations.map(toleration);
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

/**
 * One nodeSelectorTerm as ANDed requirements. matchFields can only name `metadata.name`; it is
 * kept under that key, which no pool template label carries, so a pod pinned to an existing
 * node by name (`In`) never looks placeable on a new one.
 */
function termRequirements(term: V1NodeSelectorTerm): NodeSelectorRequirement[] {
  const all = [...(term.matchExpressions ?? []), ...(term.matchFields ?? [])];
  return all.map((r) => {
    const req: NodeSelectorRequirement = { key: r.key, operator: r.operator as NodeSelectorRequirement['operator'] };
    if (r.values && r.values.length > 0) req.values = [...r.values];
    return req;
  });
}

function toleration(t: V1Toleration): Toleration {
  const out: Toleration = {};
  if (t.key) out.key = t.key;
  if (t.operator) out.operator = t.operator as Toleration['operator'];
  if (t.value) out.value = t.value;
  if (t.effect) out.effect = t.effect as Toleration['effect'];
  return out;
}
