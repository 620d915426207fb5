import express, { type Express } from 'express';
import type { Registry } from 'prom-client';
import { healthRouter, type ReadinessCheck } from '../apiserver/health.js';

/** The plain-HTTP app on :8080: Prometheus scrape endpoint and probes. */
export function createHttpApp(registry: Registry, checks: readonly ReadinessCheck[]): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(healthRouter(checks));
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return app;
}
