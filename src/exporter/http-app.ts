import express, { type Express, type RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import { healthRouter, type ReadinessCheck } from '../apiserver/health.js';

/** The plain-HTTP app on :8080: Prometheus scrape endpoint, probes, and `api` (the REST autoscaler API under /api/v1). */
export function createHttpApp(registry: Registry, checks: readonly ReadinessCheck[], api?: RequestHandler): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(healthRouter(checks));
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  if (api) app.use(api);
  return app;
}
