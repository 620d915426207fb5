import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';

/**
 * `node-scaler run` with an awsAsg pool must not load @aws-sdk at module load: `serve` and
 * Cluster-API-only node-scalers never pay for it. A fresh Node process records every module
 * URL its loader resolves (a module.register resolve hook, appended to a file) while it imports
 * run-command.js, run.js and asg-actuator.js and builds an actuator; only the actuator's first
 * call may bring the SDK in (the positive control that the recorder sees SDK modules at all).
 */
describe('AWS ASG actuator: the SDK is loaded lazily', function () {
  this.timeout(60_000);
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  const src = (p: string) => pathToFileURL(join(root, 'src/nodescaler/cluster', p)).href;

  it('is not imported by run-command.js, run.js or asg-actuator.js, only by the first call', async function () {
    const dir = mkdtempSync(join(tmpdir(), 'asg-lazy-'));
    const log = join(dir, 'resolved.txt');
    try {
      const hooks = `data:text/javascript,${encodeURIComponent(`
        import { appendFileSync } from 'node:fs';
        export async function resolve(specifier, context, next) {
          const r = await next(specifier, context);
          appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
          return r;
        }`)}`;
      const script = `
        import { register } from 'node:module';
        import { appendFileSync } from 'node:fs';
        register(${JSON.stringify(hooks)});
        await import(${JSON.stringify(src('run-command.ts'))});
        await import(${JSON.stringify(src('run.ts'))});
        const { AwsAsgActuator } = await import(${JSON.stringify(src('asg-actuator.ts'))});
        const a = new AwsAsgActuator({ kind: 'awsAsg', name: 'g', region: 'us-east-1' }, {
          nodes: () => [], endpoint: 'http://127.0.0.1:9', maxAttempts: 1, credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
        });
        appendFileSync(${JSON.stringify(log)}, 'MARK built\\n');
        await a.observe().catch(() => undefined);
        await a.close();
      `;
      await promisify(execFile)(process.execPath, ['--import', 'tsx', '--no-warnings', '--input-type=module', '-e', script], { cwd: root });

      const lines = readFileSync(log, 'utf8').split('\n');
      const mark = lines.indexOf('MARK built');
      expect(mark, 'the child process ran to the mark').to.be.greaterThan(0);
      const before = lines.slice(0, mark);
      expect(before.some((l) => l.includes('/src/nodescaler/cluster/run.ts')), 'run.ts was loaded').to.equal(true);
      expect(before.filter((l) => l.includes('/@aws-sdk/'))).to.deep.equal([]);
      expect(lines.slice(mark).some((l) => l.includes('/@aws-sdk/client-auto-scaling/')), 'the first call loads the SDK').to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
