/**
 * A TypeScript module run as its own Node process (tsx), spoken to over the IPC channel one
 * request at a time. The child exits when the channel closes, so it never outlives the bench.
 */
import { fork, type ChildProcess } from 'node:child_process';

export interface ChildReply<T> {
  readonly ok: boolean;
  readonly result?: T;
  readonly error?: string;
}

export interface TsChild {
  readonly pid: number;
  call<T>(message: unknown): Promise<T>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export function forkTs(file: string, name: string): TsChild {
  const child = fork(file, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));
  let busy = false;
  return {
    pid: child.pid ?? 0,
    call<T>(message: unknown): Promise<T> {
      if (busy) return Promise.reject(new Error(`${name}: one call at a time`));
      busy = true;
      return new Promise<T>((resolve, reject) => {
        const onExit = (code: number | null, signal: string | null) =>
          reject(new Error(`${name} exited (code ${code}, signal ${signal}) before answering`));
        child.once('exit', onExit);
        child.once('message', (reply: ChildReply<T>) => {
          child.off('exit', onExit);
          busy = false;
          if (reply.ok) resolve(reply.result as T);
          else reject(new Error(`${name}: ${reply.error ?? 'failed'}`));
        });
        child.send(message as object);
      });
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Child side: answer each message with `handle`'s result; exit when the parent goes away. */
export function serveParent<M, R>(handle: (message: M) => Promise<R>): void {
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: M) => {
    handle(message).then(
      (result) => process.send?.({ ok: true, result } satisfies ChildReply<R>),
      (err: unknown) => process.send?.({ ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies ChildReply<R>),
    );
  });
}
