import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { ApiException, CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';
import { errorMessage } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/log.js';

/**
 * Leader election on a coordination.k8s.io/v1 Lease, with client-go's leaderelection semantics
 * (@kubernetes/client-node 1.4 ships no helper). Only the leader may act on the cluster: two
 * replicas of one controller (the node-scaler scaling pools, the policy controller writing HPAs)
 * would fight. Each controller competes for its own Lease. Rules:
 *
 * - the lease is acquirable when it is absent, released (no holder), expired
 *   (renewTime + leaseDurationSeconds < now) or already ours;
 * - every write carries the resourceVersion that was read, so of two candidates only one wins
 *   (the other gets 409 Conflict);
 * - a takeover sets acquireTime and increments leaseTransitions; a renewal only moves renewTime;
 * - the leader stops leading at once when it sees another valid holder, and when no renewal
 *   succeeded within renewDeadlineSeconds (a timer fires even if the request hangs);
 * - stop() releases the lease (like client-go's ReleaseOnCancel) so a standby takes over within
 *   a retry period instead of waiting for the lease to expire.
 *
 * Expiry is judged from the lease's renewTime against the local clock, so clocks must be
 * synchronised to well under leaseDurationSeconds (NTP does that).
 */

export interface LeaderElectorOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  /** Lease name; each controller has its own (e.g. nodescaler/names.ts DEFAULT_LEASE_NAME). */
  name: string;
  /** Holder identity (default `<hostname>_<pid>-<random>`); the pod name in a cluster. */
  identity?: string;
  /** How long a lease is valid after its last renewal (default 15; whole seconds, as the Lease stores it). */
  leaseDurationSeconds?: number;
  /** The leader gives up when no renewal succeeded for this long (default 10). */
  renewDeadlineSeconds?: number;
  /** Time between attempts (default 2). */
  retryPeriodSeconds?: number;
  log?: Logger;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
  /** Called when the observed holder changes ('' = nobody). */
  onNewLeader?: (identity: string) => void;
  /** Clock (epoch ms), for tests. */
  now?: () => number;
}

/** Candidates wait a little longer than the retry period, so they do not hit the apiserver in lockstep. */
const ACQUIRE_JITTER = 0.2;

export class LeaderElector {
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  private readonly api: CoordinationV1Api;
  private readonly leaseMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly log: Logger;
  private readonly clock: () => number;
  private leading = false;
  private lastRenewAt = 0;
  private observedHolder: string | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.namespace = opts.namespace;
    this.name = opts.name;
    this.identity = opts.identity ?? defaultIdentity();
    const lease = opts.leaseDurationSeconds ?? 15;
    const renew = opts.renewDeadlineSeconds ?? 10;
    const retry = opts.retryPeriodSeconds ?? 2;
    if (!Number.isInteger(lease) || lease < 1) throw new Error(`leaseDurationSeconds must be a whole number ≥ 1, got ${lease}`);
    if (!(renew < lease)) throw new Error(`renewDeadlineSeconds (${renew}) must be < leaseDurationSeconds (${lease})`);
    if (!(retry > 0 && retry < renew)) throw new Error(`retryPeriodSeconds (${retry}) must be > 0 and < renewDeadlineSeconds (${renew})`);
    this.leaseMs = lease * 1000;
    this.renewDeadlineMs = renew * 1000;
    this.retryMs = retry * 1000;
    this.api = opts.kubeConfig.makeApiClient(CoordinationV1Api);
    this.clock = opts.now ?? Date.now;
    this.log = (opts.log ?? silentLogger).child({ component: 'leader-election', lease: `${this.namespace}/${this.name}`, identity: this.identity });
  }

  /** Starts campaigning (idempotent). */
  start(): void {
    if (this.running || this.stopping) return;
    this.log.info('campaigning for the lease');
    this.running = this.loop();
  }

  /**
   * True while this process holds a lease renewed within the renew deadline. Checked against
   * the clock, not just the flag, so a caller never acts on a lease that may have passed on.
   */
  isLeader(): boolean {
    return this.leading && this.clock() - this.lastRenewAt <= this.renewDeadlineMs;
  }

  /** The holder last seen on the lease ('' = released, undefined = not read yet). */
  observedLeader(): string | undefined {
    return this.observedHolder;
  }

  /** Stops campaigning; a leader stops leading (callback first) and then releases the lease. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      this.cancelSleep();
      this.stopLeading('elector stopped');
      await this.running;
      // Also after an attempt that was in flight: release() writes only if the lease is ours.
      if (this.running) await this.release();
    })();
    return this.stopped;
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      await this.attempt();
      if (this.stopping) break;
      await this.sleep(this.leading ? this.retryMs : this.retryMs * (1 + ACQUIRE_JITTER * Math.random()));
    }
  }

  private async attempt(): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = await withTimeout(this.tryAcquireOrRenew(), this.renewDeadlineMs, 'lease request');
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'lease update failed');
      outcome = 'failed';
    }
    if (this.stopping) return;
    if (outcome === 'held') {
      this.lastRenewAt = this.clock();
      this.armDeadline();
      if (!this.leading) {
        this.leading = true;
        this.log.info('became leader');
        this.opts.onStartedLeading?.();
      }
    } else if (outcome === 'taken' && this.leading) {
      this.stopLeading(`lease is held by ${this.observedHolder ?? 'another candidate'}`);
    } else if (this.leading && this.clock() - this.lastRenewAt > this.renewDeadlineMs) {
      this.stopLeading('no renewal within the renew deadline');
    }
  }

  private async tryAcquireOrRenew(): Promise<Outcome> {
    const now = this.clock();
    const lease = await this.read();
    if (!lease) return this.create(now);
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    this.observe(holder);
    if (holder !== '' && holder !== this.identity && !expired(spec, now, this.leaseMs)) return 'taken';
    const takeover = holder !== this.identity;
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: lease.metadata,
      spec: {
        ...spec,
        holderIdentity: this.identity,
        leaseDurationSeconds: this.leaseMs / 1000,
        acquireTime: takeover || !spec.acquireTime ? new V1MicroTime(now) : spec.acquireTime,
        renewTime: new V1MicroTime(now),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (takeover ? 1 : 0),
      },
    };
    if (!(await this.replace(body))) return 'conflict';
    if (takeover) this.log.info({ previousHolder: holder || undefined, transitions: body.spec?.leaseTransitions }, 'acquired the lease');
    this.observe(this.identity);
    return 'held';
  }

  private async read(): Promise<V1Lease | undefined> {
    try {
      return await this.api.readNamespacedLease({ name: this.name, namespace: this.namespace });
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw err;
    }
  }

  private async create(now: number): Promise<Outcome> {
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace },
      spec: {
        holderIdentity: this.identity,
        leaseDurationSeconds: this.leaseMs / 1000,
        acquireTime: new V1MicroTime(now),
        renewTime: new V1MicroTime(now),
        leaseTransitions: 0,
      },
    };
    try {
      await this.api.createNamespacedLease({ namespace: this.namespace, body });
    } catch (err) {
      if (err instanceof ApiException && err.code === 409) return 'conflict'; // another candidate created it first
      throw err;
    }
    this.log.info('created the lease');
    this.observe(this.identity);
    return 'held';
  }

  /** Replace guarded by the read resourceVersion: false when someone else wrote in between. */
  private async replace(body: V1Lease): Promise<boolean> {
    try {
      await this.api.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body });
      return true;
    } catch (err) {
      if (err instanceof ApiException && err.code === 409) return false;
      throw err;
    }
  }

  /** Clears the holder (client-go's release) so a standby can take over without waiting for expiry. */
  private async release(): Promise<void> {
    try {
      const lease = await withTimeout(this.read(), this.renewDeadlineMs, 'lease read');
      if (!lease || lease.spec?.holderIdentity !== this.identity) return;
      const now = this.clock();
      const spec: V1LeaseSpec = {
        leaseDurationSeconds: 1,
        acquireTime: new V1MicroTime(now),
        renewTime: new V1MicroTime(now),
        leaseTransitions: lease.spec.leaseTransitions ?? 0,
      };
      const released = await withTimeout(this.replace({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: lease.metadata, spec }), this.renewDeadlineMs, 'lease release');
      if (released) this.log.info('released the lease');
    } catch (err) {
      this.log.warn({ err: errorMessage(err) }, 'could not release the lease; a standby takes over when it expires');
    }
  }

  private stopLeading(reason: string): void {
    this.clearDeadline();
    if (!this.leading) return;
    this.leading = false;
    this.log.warn({ reason }, 'stopped leading');
    this.opts.onStoppedLeading?.();
  }

  /** Fires at lastRenew + renewDeadline even when the renewal request hangs. */
  private armDeadline(): void {
    this.clearDeadline();
    this.deadlineTimer = setTimeout(() => {
      if (this.clock() - this.lastRenewAt >= this.renewDeadlineMs) this.stopLeading('no renewal within the renew deadline');
    }, this.renewDeadlineMs);
    this.deadlineTimer.unref();
  }

  private clearDeadline(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }

  private observe(holder: string): void {
    if (holder === this.observedHolder) return;
    this.observedHolder = holder;
    this.log.info({ holder: holder || undefined }, holder ? 'lease holder changed' : 'lease released');
    this.opts.onNewLeader?.(holder);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
    });
  }

  private cancelSleep(): void {
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.wake?.();
    this.wake = undefined;
  }
}

type Outcome = 'held' | 'taken' | 'conflict' | 'failed';

/** renewTime + leaseDuration < now. A lease without renewTime was never valid. */
function expired(spec: V1LeaseSpec, now: number, fallbackLeaseMs: number): boolean {
  const renewed = spec.renewTime === undefined ? NaN : toMillis(spec.renewTime);
  if (!Number.isFinite(renewed)) return true;
  const durationMs = spec.leaseDurationSeconds !== undefined ? spec.leaseDurationSeconds * 1000 : fallbackLeaseMs;
  return renewed + durationMs < now;
}

/** client-node 1.4 hands MicroTime fields back as the raw RFC 3339 string, typed as Date. */
function toMillis(t: Date | string): number {
  return t instanceof Date ? t.getTime() : Date.parse(t);
}

function defaultIdentity(): string {
  return `${hostname()}_${process.pid}-${randomBytes(4).toString('hex')}`;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
