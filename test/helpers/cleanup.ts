/**
 * Last-resort cleanup for test processes and temp dirs: whatever a test did not stop
 * itself is killed and removed when the test process exits.
 */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();

process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

export const track = {
  child(c: ChildProcess): void {
    children.add(c);
    c.once('exit', () => children.delete(c));
  },
  dir(d: string): void {
    dirs.add(d);
  },
  forgetDir(d: string): void {
    dirs.delete(d);
  },
};
