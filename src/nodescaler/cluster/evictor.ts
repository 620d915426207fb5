import { CoreV1Api, type KubeConfig, type V1Eviction } from '@kubernetes/client-node';
import type { Millis } from '../types.js';
import { mapBounded } from './bounded-concurrency.js';
import type { EvictAction, EvictionOutcome, Evictor } from './contracts.js';
import { httpCode, statusMessage } from './kube-errors.js';

/**
 * Pod evictions for drains and interruptions (research/node-scaler.md §4.6 step 2–3, §4.7).
 *
 * `evict` goes through the Eviction API, so PodDisruptionBudgets are honoured: a 429 means a PDB
 * forbids it now, and the next plan repeats the action. `forceDelete` is the deadline fallback
 * (the node goes away regardless) and deletes the pod directly. Both carry the pod's UID as a
 * precondition, so a newer pod that took the same name is never touched.
 *
 * Plans repeat their evictions every tick, so the evictor remembers per pod UID what it did:
 * an accepted eviction is not sent again, and a pod a PDB blocked is tried at most every
 * `retryAfterMs`. Times come from the caller's `now`, never the wall clock.
 */

export interface KubeEvictorOptions {
  /** Evictions/deletions in flight at once (default 8). */
  concurrency?: number;
  /** Least time between two attempts on a PDB-blocked pod (default 5 s; §4.6 asks for 1–10 s backoff). */
  retryAfterMs?: number;
  /** How long an accepted eviction or deletion is remembered (default 1 h). */
  rememberMs?: number;
}

interface Done {
  at: Millis;
  /** Grace of the deletion sent (forceDelete only): a later, shorter one is sent again. */
  graceSeconds?: number;
}

export class KubeEvictor implements Evictor {
  private readonly core: CoreV1Api;
  private readonly concurrency: number;
  private readonly retryAfterMs: number;
  private readonly rememberMs: number;
  private readonly evicted = new Map<string, Done>();
  private readonly deleted = new Map<string, Done>();
  private readonly blockedUntil = new Map<string, { until: Millis; detail: string }>();

  constructor(kc: KubeConfig, options: KubeEvictorOptions = {}) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.retryAfterMs = options.retryAfterMs ?? 5_000;
    this.rememberMs = options.rememberMs ?? 3_600_000;
  }

  async apply(actions: readonly EvictAction[], now: Millis): Promise<EvictionOutcome[]> {
    this.forget(now);
    return mapBounded(dedupe(actions, now), this.concurrency, (action) => this.applyOne(action, now));
  }

  private async applyOne(action: EvictAction, now: Millis): Promise<EvictionOutcome> {
    const base = { uid: action.uid, pod: { namespace: action.pod.namespace, name: action.pod.name } };
    const due = action.kind === 'evict' ? action.notBefore : action.at;
    if (due > now) return { ...base, result: 'not-due', detail: `due in ${Math.ceil((due - now) / 1000)} s` };
    try {
      return { ...base, ...(action.kind === 'evict' ? await this.evict(action, now) : await this.forceDelete(action, now)) };
    } catch (err) {
      // Only transport errors get here (HTTP errors are classified below): report, never throw.
      return { ...base, result: 'failed', detail: `${action.kind} ${podName(action)}: ${statusMessage(err)}` };
    }
  }

  private async evict(action: Extract<EvictAction, { kind: 'evict' }>, now: Millis): Promise<Outcome> {
    const done = this.evicted.get(action.uid);
    if (done) return { result: 'gone', detail: `eviction accepted at ${new Date(done.at).toISOString()}; waiting for the pod to terminate` };
    const blocked = this.blockedUntil.get(action.uid);
    if (blocked && blocked.until > now) return { result: 'pdb-blocked', detail: `${blocked.detail} (next attempt in ${Math.ceil((blocked.until - now) / 1000)} s)` };
    const { namespace, name } = action.pod;
    const body: V1Eviction = {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name, namespace },
      deleteOptions: { gracePeriodSeconds: action.graceSeconds, preconditions: { uid: action.uid } },
    };
    try {
      await this.core.createNamespacedPodEviction({ name, namespace, body });
      this.blockedUntil.delete(action.uid);
      this.evicted.set(action.uid, { at: now });
      return { result: 'evicted', detail: `grace ${action.graceSeconds} s` };
    } catch (err) {
      const outcome = classify(err, 'evict');
      if (outcome.result === 'pdb-blocked') this.blockedUntil.set(action.uid, { until: now + this.retryAfterMs, detail: outcome.detail ?? '' });
      if (outcome.result === 'gone') this.blockedUntil.delete(action.uid);
      return outcome;
    }
  }

  private async forceDelete(action: Extract<EvictAction, { kind: 'forceDelete' }>, now: Millis): Promise<Outcome> {
    const done = this.deleted.get(action.uid);
    // A repeated deletion only helps when it shortens the grace period the pod already has.
    if (done && (done.graceSeconds ?? 0) <= action.graceSeconds) {
      return { result: 'gone', detail: `deleted at ${new Date(done.at).toISOString()} with grace ${done.graceSeconds} s; waiting for the pod to go` };
    }
    const { namespace, name } = action.pod;
    const gracePeriodSeconds = action.graceSeconds;
    try {
      await this.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds, body: { gracePeriodSeconds, preconditions: { uid: action.uid } } });
      this.deleted.set(action.uid, { at: now, graceSeconds: gracePeriodSeconds });
      return { result: 'deleted', detail: gracePeriodSeconds === 0 ? 'deleted immediately' : `grace ${gracePeriodSeconds} s` };
    } catch (err) {
      return classify(err, 'delete');
    }
  }

  private forget(now: Millis): void {
    for (const memory of [this.evicted, this.deleted]) {
      for (const [uid, done] of memory) if (now - done.at > this.rememberMs) memory.delete(uid);
    }
    for (const [uid, b] of this.blockedUntil) if (b.until <= now) this.blockedUntil.delete(uid);
  }
}

type Outcome = Pick<EvictionOutcome, 'result' | 'detail'>;

/** HTTP answers of the Eviction API and DELETE, as outcomes. */
function classify(err: unknown, verb: 'evict' | 'delete'): Outcome {
  const code = httpCode(err);
  const message = statusMessage(err);
  if (code === undefined) throw err;
  if (code === 404) return { result: 'gone', detail: 'pod not found' };
  // The UID precondition failed: the name now belongs to a newer pod, ours is gone.
  if (code === 409 && /uid/i.test(message)) return { result: 'gone', detail: message };
  if (verb === 'evict' && code === 429) return { result: 'pdb-blocked', detail: message };
  // A pod matched by several PDBs cannot be evicted until someone fixes the PDBs; retry like a 429 (§4.6).
  if (verb === 'evict' && code === 500 && /more than one PodDisruptionBudget/i.test(message)) return { result: 'pdb-blocked', detail: message };
  return { result: 'failed', detail: `${verb}: HTTP ${code}: ${message}` };
}

/**
 * One action per pod UID. Plans carry a pod's eviction (due now) and its force-delete (due at
 * the deadline) side by side: the force-delete wins only once it is due, the eviction before.
 */
function dedupe(actions: readonly EvictAction[], now: Millis): EvictAction[] {
  const byUid = new Map<string, EvictAction>();
  for (const a of actions) {
    const prev = byUid.get(a.uid);
    if (!prev || rank(a, now) > rank(prev, now)) byUid.set(a.uid, a);
  }
  return [...byUid.values()];
}

/** A due force-delete, then a due eviction, then whatever is not due yet. */
function rank(a: EvictAction, now: Millis): number {
  if (a.kind === 'forceDelete') return a.at <= now ? 3 : 0;
  return a.notBefore <= now ? 2 : 1;
}

function podName(action: EvictAction): string {
  return `pod ${action.pod.namespace}/${action.pod.name}`;
}
