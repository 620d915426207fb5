/**
 * Child processes of the harness and the guarantees around them: output goes to a log file
 * (and a short in-memory tail for error messages); stop() is SIGTERM, then SIGKILL after a
 * grace period; everything still alive is SIGKILLed and every registered temp dir removed on
 * process exit, SIGINT and SIGTERM; and a tiny watchdog per child kills it if the test process
 * dies without running any hook (SIGKILL, OOM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, rmSync, type WriteStream } from 'node:fs';

const TAIL_CHARS = 16_000;

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** The last ~16 kB of stdout and stderr. */
  tail(): string;
  /** True until the process exited. */
  alive(): boolean;
  /** Resolves with the exit code or signal once the process exited. */
  readonly exited: Promise<string>;
  /** SIGTERM, SIGKILL after `graceMs`; resolves when it is gone. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
const watchdogs = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
  for (const dog of watchdogs) dog.kill('SIGKILL');
  watchdogs.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      console.error(`harness: ${signal}: killing ${live.size} control-plane process(es)`);
      killAllNow();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
}

const dirWatchdogs = new Map<string, ChildProcess>();

/**
 * Remove `dir` on exit unless released first (releaseTempDir after removing it yourself); a
 * watchdog removes it if this process dies without running its hooks.
 */
export function registerTempDir(dir: string): void {
  installHooks();
  tempDirs.add(dir);
  const quoted = `'${dir.replace(/'/g, `'\\''`)}'`;
  dirWatchdogs.set(dir, startWatchdog(`while kill -0 ${process.pid} 2>/dev/null && [ -d ${quoted} ]; do sleep 1; done; sleep 2; rm -rf -- ${quoted}`));
}

export function releaseTempDir(dir: string): void {
  tempDirs.delete(dir);
  const dog = dirWatchdogs.get(dir);
  dirWatchdogs.delete(dir);
  if (dog) {
    watchdogs.delete(dog);
    dog.kill('SIGKILL');
  }
}

export function startProcess(name: string, command: string, args: readonly string[], logFile: string): ManagedProcess {
  installHooks();
  const log: WriteStream = createWriteStream(logFile, { flags: 'a' });
  log.write(`# ${command} ${args.join(' ')}\n`);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) {
    child.once('error', () => undefined); // reported by the throw below
    log.end();
    throw new Error(`${name}: could not start ${command}`);
  }
  live.add(child);
  let tail = '';
  const keep = (chunk: Buffer) => {
    log.write(chunk);
    tail = (tail + chunk.toString()).slice(-TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const watchdog = startProcessWatchdog(child.pid);
  const exited = new Promise<string>((resolve) => {
    let done = false;
    const finish = (how: string) => {
      if (done) return;
      done = true;
      live.delete(child);
      watchdogs.delete(watchdog);
      watchdog.kill('SIGKILL');
      log.end(`# exited: ${how}\n`);
      resolve(how);
    };
    child.once('exit', (code, signal) => finish(signal ?? `code ${code}`));
    // A spawn error (ENOENT, EACCES) may come without 'exit'.
    child.once('error', (err) => {
      keep(Buffer.from(`spawn error: ${err.message}\n`));
      finish(`spawn error: ${err.message}`);
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 5_000): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };

  return {
    name,
    pid: child.pid,
    logFile,
    tail: () => tail,
    alive: () => child.exitCode === null && child.signalCode === null,
    exited,
    stop,
  };
}

/**
 * `sh` that polls once a second and SIGKILLs `pid` when this Node process is gone. It exits by
 * itself when `pid` is gone; on a normal stop it is killed right away. Not a child we wait for.
 */
function startProcessWatchdog(pid: number): ChildProcess {
  return startWatchdog(`while kill -0 ${process.pid} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 1; done; kill -9 ${pid} 2>/dev/null; exit 0`);
}

function startWatchdog(script: string): ChildProcess {
  const dog = spawn('sh', ['-c', script], { stdio: 'ignore', detached: true });
  dog.unref();
  watchdogs.add(dog);
  return dog;
}
