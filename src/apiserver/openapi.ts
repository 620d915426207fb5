import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';

/**
 * `GET /openapi/v2`: a minimal, valid Swagger 2.0 document with an ETag. kube-aggregator
 * (1.36) does not treat a 404 here as "no spec": it logs an error and retries every
 * minute. An empty spec merges cleanly, and the ETag lets its re-polls end in a 304.
 * `/openapi/v3` stays 404: the aggregator then derives v3 from v2 without complaint.
 */
export function openApiV2Handler(version: string): (req: Request, res: Response) => void {
  const body = JSON.stringify({ swagger: '2.0', info: { title: 'ai-metrics-adapter', version }, paths: {} });
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
  return (req, res) => {
    res.setHeader('ETag', etag);
    if (req.headers['if-none-match'] === etag) return void res.status(304).end();
    res.status(200).type('application/json').send(body);
  };
}
