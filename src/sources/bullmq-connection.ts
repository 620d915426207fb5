/**
 * One fail-fast ioredis connection (standalone or Cluster) for the BullMQ source.
 *
 * A poll must never wait on a dead Redis: no offline queue, no per-request retries and no
 * background reconnect loop. Instead every poll checks the connection and reconnects when
 * it is down, so a Redis that comes back on the same address is picked up by the next poll
 * with the same object. Every step is bounded (connect by connectTimeoutMs, each command
 * round-trip by commandTimeoutMs); a step that times out drops the connection so a hung
 * server's late replies can never be taken for fresh ones.
 */
import { once } from 'node:events';
import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../util/errors.js';
import type { RedisEndpoint } from './bullmq-endpoint.js';
import type { ReadCommand } from './bullmq-keys.js';

export interface ConnectionOptions {
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly logger?: Logger;
}

export type RedisClient = Redis | Cluster;

/** ioredis messages that only say "not connected"; the socket's own error says why. */
const GENERIC_ERRORS = new Set([
  'Connection is closed.',
  "Stream isn't writeable and enableOfflineQueue options is false",
  "Cluster isn't ready and enableOfflineQueue options is false",
  'None of startup nodes is available',
  'Failed to refresh slots cache.',
]);

export class RedisConnection {
  readonly client: RedisClient;
  private lastError: Error | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly endpoint: RedisEndpoint,
    private readonly opts: ConnectionOptions,
  ) {
    this.client = endpoint.cluster ? createCluster(endpoint, opts) : createRedis(endpoint, opts);
    // Without a listener ioredis prints "Unhandled error event"; the poll reports errors instead.
    this.client.on('error', (err: Error) => {
      this.lastError = err;
      opts.logger?.debug({ redis: endpoint.address, err: err.message }, 'redis connection error');
    });
  }

  /** Connects (again) when the connection is not ready; bounded by connectTimeoutMs. */
  async ready(signal: AbortSignal): Promise<void> {
    if (this.closed) throw new Error('source is closed');
    if (this.client.status === 'ready' && !this.dropped()) return;
    if (!this.connecting) {
      const attempt = this.connect();
      const clear = () => {
        if (this.connecting === attempt) this.connecting = undefined;
      };
      attempt.then(clear, clear);
      this.connecting = attempt;
    }
    await this.bounded(this.connecting, this.opts.connectTimeoutMs, 'connect', signal);
  }

  /** The servers to SCAN: the one server, or every cluster master. */
  masters(): Redis[] {
    return this.client instanceof Cluster ? this.client.nodes('master') : [this.client];
  }

  /** Runs the commands as one pipeline (on a Cluster: keys of one slot only). */
  async pipeline(commands: readonly ReadCommand[], signal: AbortSignal): Promise<unknown[]> {
    const p = this.client.pipeline();
    for (const [name, ...args] of commands) p.call(name, ...args);
    const results = await this.bounded(p.exec(), this.opts.commandTimeoutMs, 'command', signal);
    if (!results) throw new Error('pipeline was discarded');
    return results.map(([err, value], i) => {
      if (err) throw commandError(commands[i], err);
      return value;
    });
  }

  /** Sends the commands one by one, all in flight at once (see bullmq-reader.ts for why not a pipeline). */
  async each(commands: readonly ReadCommand[], signal: AbortSignal): Promise<unknown[]> {
    // Corked, the commands leave in one write instead of a write(2) each (~80 ms of CPU per 12 000 commands).
    const socket = this.client instanceof Redis ? this.client.stream : undefined;
    socket?.cork();
    let sent: Promise<unknown>[];
    try {
      // No handler per command: a refusal names its command itself (ReplyError.command).
      sent = commands.map((command) => this.client.call(...command));
    } finally {
      socket?.uncork();
    }
    try {
      return await this.bounded(Promise.all(sent), this.opts.commandTimeoutMs, 'command', signal);
    } catch (err) {
      throw commandError(undefined, err);
    }
  }

  /** One command on `client`, bounded by commandTimeoutMs. */
  command(client: RedisClient, command: ReadCommand, signal: AbortSignal): Promise<unknown> {
    const [name, ...args] = command;
    const sent = client.call(name, ...args).catch((err: unknown) => {
      throw commandError(command, err);
    });
    return this.bounded(sent, this.opts.commandTimeoutMs, 'command', signal);
  }

  /** The error poll() rejects with: names the endpoint and says what failed. */
  describe(err: unknown): Error {
    return new Error(`redis ${this.endpoint.address}: ${this.reason(err)}`, { cause: err });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const status = this.client.status;
    if (status === 'ready') {
      // QUIT lets Redis close the connection after the replies; a hung server gets commandTimeoutMs.
      const quit = this.client.quit().catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([quit, new Promise((resolve) => (timer = setTimeout(resolve, this.opts.commandTimeoutMs)))]);
      clearTimeout(timer);
    }
    this.client.disconnect();
  }

  private async connect(): Promise<void> {
    this.lastError = undefined;
    // A dropped socket reports 'end' a tick after drop(); only then can a new one be opened.
    if (this.dropped() && this.client.status !== 'end') await once(this.client, 'end');
    const status = this.client.status;
    if (status === 'connecting' || status === 'connect' || status === 'reconnecting') {
      await readyEvent(this.client);
      return;
    }
    await this.client.connect();
  }

  private reason(err: unknown): string {
    const message = errorMessage(err);
    const nodeError = (err as { lastNodeError?: unknown } | null)?.lastNodeError;
    if (nodeError) return `${message} (${errorMessage(nodeError)})`;
    if (message === 'Command timed out') return `command timed out after ${this.opts.commandTimeoutMs} ms`;
    if (GENERIC_ERRORS.has(message) && this.lastError && this.lastError.message !== message) {
      return this.reason(this.lastError);
    }
    return message;
  }

  /** Races `p` against a timer and the signal; a timeout drops the connection. */
  private bounded<T>(p: Promise<T>, ms: number, what: string, signal: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal.aborted) return reject(abortError(signal));
      const finish = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        finish();
        reject(abortError(signal));
      };
      const timer = setTimeout(() => {
        finish();
        this.drop();
        reject(new Error(`${what} timed out after ${ms} ms`));
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => (finish(), resolve(v)),
        (e: unknown) => (finish(), reject(e)),
      );
    });
  }

  /** The socket was destroyed by drop() (or failed) while ioredis may still say 'ready'. */
  private dropped(): boolean {
    return this.client instanceof Redis && this.client.stream?.destroyed === true;
  }

  private drop(): void {
    this.connecting = undefined;
    this.client.disconnect();
    // disconnect() only half-closes the socket; against a hung server the connection would stay
    // 'ready' (and unwritable) until the server answers the FIN. Destroyed, it ends now and the
    // next poll connects afresh.
    if (this.client instanceof Redis) this.client.stream?.destroy();
  }
}

function createRedis(endpoint: RedisEndpoint, opts: ConnectionOptions): Redis {
  const node = endpoint.nodes[0];
  if (!node) throw new Error('no Redis host');
  return new Redis({ ...baseOptions(endpoint, opts), host: node.host, port: node.port, db: endpoint.db });
}

function createCluster(endpoint: RedisEndpoint, opts: ConnectionOptions): Cluster {
  const options: ClusterOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    // Checks `CLUSTER INFO` for cluster_state:ok before the first command.
    enableReadyCheck: true,
    // No background retries: the next poll reconnects (see the file comment).
    clusterRetryStrategy: () => null,
    scaleReads: 'master',
    slotsRefreshTimeout: opts.connectTimeoutMs,
    // MOVED/ASK redirections still work; waiting out a failover is the next poll's job.
    retryDelayOnClusterDown: 0,
    retryDelayOnTryAgain: 0,
    redisOptions: baseOptions(endpoint, opts),
  };
  return new Cluster(endpoint.nodes.map((n) => ({ host: n.host, port: n.port })), options);
}

function baseOptions(endpoint: RedisEndpoint, opts: ConnectionOptions): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    autoResubscribe: false,
    // No INFO round-trip (and no console.warn from ioredis when an ACL denies INFO); a Redis
    // still loading its dataset answers LOADING, which the poll reports as it is.
    enableReadyCheck: false,
    connectTimeout: opts.connectTimeoutMs,
    // No ioredis commandTimeout: every call is bounded by bounded() already, and ioredis'
    // own timer per command was ~2 MB of garbage per 1 000-queue poll.
    ...(endpoint.username !== undefined ? { username: endpoint.username } : {}),
    ...(endpoint.password !== undefined ? { password: endpoint.password } : {}),
    ...(endpoint.tls ? { tls: {} } : {}),
  };
}

/** Resolves on 'ready', rejects when the connection ends first. */
function readyEvent(client: RedisClient): Promise<void> {
  return new Promise((resolve, reject) => {
    const onReady = () => {
      client.off('end', onEnd);
      resolve();
    };
    const onEnd = () => {
      client.off('ready', onReady);
      reject(new Error('Connection is closed.'));
    };
    client.once('ready', onReady);
    client.once('end', onEnd);
  });
}

/** Names the command in Redis' own refusals (WRONGTYPE, NOPERM…); connection errors pass as they are. */
function commandError(command: ReadCommand | undefined, err: unknown): unknown {
  if (!(err instanceof Error) || err.name !== 'ReplyError') return err;
  const [name = '?', key = ''] = command ?? replyErrorCommand(err);
  return new Error(`${name.toUpperCase()} ${key}: ${err.message}`, { cause: err });
}

/** The command ioredis attaches to a ReplyError. */
function replyErrorCommand(err: Error): readonly string[] {
  const c = (err as { command?: { name?: unknown; args?: unknown } }).command;
  const args = Array.isArray(c?.args) ? (c.args as unknown[]) : [];
  return typeof c?.name === 'string' ? [c.name, String(args[0] ?? '')] : [];
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('poll aborted');
}
