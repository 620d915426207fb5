/**
 * Real Redis for tests: Debian `redis-server` on a free 127.0.0.1 port, nothing persisted,
 * in a temp dir. Every process is killed on cleanup and, as a last resort, on process exit.
 */
import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';
import { track } from './cleanup.js';

const run = promisify(execFile);
const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
const REDIS_CLI = process.env.REDIS_CLI ?? '/usr/bin/redis-cli';

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** SIGTERM (SIGKILL after 2 s) and wait for the exit. */
  stop(): Promise<void>;
  /** Start again on the same port; the data is gone (nothing is saved). */
  start(): Promise<void>;
  /** SIGSTOP: a hung server whose sockets stay open. */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  /** Runs `redis-cli -p <port> args…` and returns its trimmed output. */
  cli(...args: string[]): Promise<string>;
  /** Stop and remove the temp dir. */
  cleanup(): Promise<void>;
}

export interface RedisServerOptions {
  /** Extra `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. */
  readonly args?: readonly string[];
  readonly port?: number;
}

export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'ama-redis-'));
  track.dir(dir);
  const server = new RedisProcess(port, dir, options.args ?? []);
  try {
    await server.start();
  } catch (err) {
    await server.cleanup();
    throw err;
  }
  return server;
}

class RedisProcess implements RedisServer {
  readonly url: string;
  private child: ChildProcess | undefined;
  private frozen = false;
  private log = '';

  constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly args: readonly string[],
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    if (this.child) throw new Error(`redis-server on ${this.port} is already running`);
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    args.push('--dir', this.dir, '--daemonize', 'no', '--protected-mode', 'no', ...this.args);
    const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    track.child(child);
    const keep = (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    await waitForPong(this.port, child, () => this.log);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    if (this.frozen) this.thaw();
    const killer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(killer);
  }

  freeze(): void {
    this.child?.kill('SIGSTOP');
    this.frozen = true;
  }

  thaw(): void {
    this.child?.kill('SIGCONT');
    this.frozen = false;
  }

  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(this.port), ...args]);
    return stdout.trim();
  }

  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
    track.forgetDir(this.dir);
  }
}

/** Resolves once the server answers PING with PONG; rejects if it exits or takes > 10 s. */
async function waitForPong(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server on port ${port} exited:\n${log()}`);
    }
    if (await ping(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server on port ${port} did not answer PING within 10 s:\n${log()}`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

export interface RedisCluster {
  readonly nodes: readonly RedisServer[];
  /** `redis-cluster://127.0.0.1:<p1>,127.0.0.1:<p2>,…` */
  readonly url: string;
  cleanup(): Promise<void>;
}

/** A Redis Cluster of `masters` masters and no replicas, all slots assigned and state ok. */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const ports = await distinctFreePorts(masters * 2);
  const nodes: RedisServer[] = [];
  const cleanup = async () => {
    await Promise.all(nodes.map((n) => n.cleanup()));
  };
  try {
    for (let i = 0; i < masters; i++) {
      const busPort = String(ports[masters + i]);
      const args = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', busPort];
      nodes.push(await startRedis({ port: ports[i] ?? 0, args: [...args, '--cluster-node-timeout', '3000'] }));
    }
    const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
    await run(REDIS_CLI, ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
    await waitForClusterOk(nodes);
    return { nodes, url: `redis-cluster://${addresses.join(',')}`, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

async function waitForClusterOk(nodes: readonly RedisServer[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const infos = await Promise.all(nodes.map((n) => n.cli('cluster', 'info')));
    if (infos.every((info) => info.includes('cluster_state:ok'))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('Redis Cluster did not reach cluster_state:ok within 10 s');
}
