import { Router, type Request, type Response } from 'express';

/** One readiness condition, e.g. "first poll done" or "pod watch synced". */
export interface ReadinessCheck {
  readonly name: string;
  ready(): boolean;
}

/**
 * `/healthz`, `/livez` and `/readyz` (and their `/ping` forms), open to everyone like the
 * Go servers' AlwaysAllowPaths. `?verbose` lists each check as `[+]name ok` / `[-]name failed`.
 */
export function healthRouter(checks: readonly ReadinessCheck[]): Router {
  const router = Router();
  const alive = (_req: Request, res: Response) => void res.type('text/plain').send('ok');
  for (const p of ['/healthz', '/livez', '/healthz/ping', '/livez/ping', '/readyz/ping']) router.get(p, alive);
  router.get('/readyz', (req, res) => {
    const results = checks.map((c) => ({ name: c.name, ok: c.ready() }));
    const ready = results.every((r) => r.ok);
    res.status(ready ? 200 : 500).type('text/plain');
    if (req.query.verbose === undefined && ready) return void res.send('ok');
    const lines = results.map((r) => `[${r.ok ? '+' : '-'}]${r.name} ${r.ok ? 'ok' : 'failed'}`);
    res.send(`${lines.join('\n')}\nreadyz check ${ready ? 'passed' : 'failed'}\n`);
  });
  return router;
}
