import type { RequestListener } from 'node:http';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AnswerValidity, CustomMetricsProvider, ExternalMetricsProvider } from '../provider/index.js';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../util/errors.js';
import { buildDiscovery, type DiscoveryDocs } from './discovery.js';
import { healthRouter, type ReadinessCheck } from './health.js';
import { openApiV2Handler } from './openapi.js';
import { AnswerCache } from './answer-cache.js';
import { answerCustom, answerExternal, routeLabel, sendAnswer, type Answer } from './metric-handlers.js';
import { acceptsJson } from './request.js';
import { internalError, notAcceptable, statusResponse, type StatusResponse } from './status.js';
import type { CustomVersion } from './wire.js';

export interface RequestObserver {
  observeRequest(route: string, code: number, seconds: number): void;
}

export interface ApiAppOptions {
  readonly custom: CustomMetricsProvider;
  readonly external: ExternalMetricsProvider;
  readonly checks: readonly ReadinessCheck[];
  readonly metrics?: RequestObserver;
  /** Authentication and authorization (cluster mode); runs after the cheap request checks, before any handler. */
  readonly auth?: RequestHandler;
  /** When given, 200 answers are cached while it says they hold (createApiHandler). */
  readonly validity?: AnswerValidity;
  readonly log: Logger;
}

/** Longer request targets are refused with a Status rather than parsed. */
const MAX_URL_LENGTH = 16 * 1024;
const NOT_FOUND = 'the server could not find the requested resource';

/**
 * The HTTPS app: discovery, the custom (v1beta1, v1beta2) and external (v1beta1) metrics
 * APIs, probes, and clean 404s for OpenAPI. Every answer under /apis is JSON; every
 * error is a metav1.Status.
 */
export function createApiApp(opts: ApiAppOptions, cache?: AnswerCache): Express {
  const docs = discoveryDocs(opts.custom, opts.external);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  if (opts.metrics) app.use(observe(opts.metrics));
  app.use(healthRouter(opts.checks));
  app.use(guard);
  if (opts.auth) app.use(opts.auth);
  app.get('/version', (_req, res) => void res.json(versionInfo()));
  discoveryRoutes(app, docs);
  app.get(/^\/apis\/custom\.metrics\.k8s\.io\/(v1beta1|v1beta2)\/.+/, (req, res) => {
    const version = req.path.split('/')[3] as CustomVersion;
    serveAnswer(req, res, cache, () => answerCustom(req, version, opts.custom));
  });
  app.get(/^\/apis\/external\.metrics\.k8s\.io\/v1beta1\/.+/, (req, res) => serveAnswer(req, res, cache, () => answerExternal(req, opts.external)));
  app.get('/openapi/v2', openApiV2Handler(versionInfo().gitVersion));
  app.get(/^\/openapi\/v3(\/.*)?$/, (_req, res) => send(res, statusResponse(404, NOT_FOUND)));
  app.use((_req, res) => send(res, statusResponse(404, NOT_FOUND)));
  app.use(errorHandler(opts.log));
  return app;
}

/**
 * Discovery documents, rebuilt only when the providers' metric lists change (they hand out
 * the same array until then): configuration and prometheus-adapter relists, never a request.
 */
function discoveryDocs(custom: CustomMetricsProvider, external: ExternalMetricsProvider): () => DiscoveryDocs {
  let lists = [custom.listAllMetrics(), external.listAllExternalMetrics()] as const;
  let docs = buildDiscovery(custom, external);
  return () => {
    const now = [custom.listAllMetrics(), external.listAllExternalMetrics()] as const;
    if (now[0] !== lists[0] || now[1] !== lists[1]) [lists, docs] = [now, buildDiscovery(custom, external)];
    return docs;
  };
}

/**
 * The HTTPS request listener. With `validity` and without auth (standalone mode), a cached
 * metrics answer is sent straight from node's server: express's routing and middleware halve
 * the throughput of small answers. Misses, everything else, and every request in cluster mode
 * (which must pass the auth middleware) go through the express app, which also uses the cache.
 */
export function createApiHandler(opts: ApiAppOptions): RequestListener {
  const cache = opts.validity ? new AnswerCache(opts.validity) : undefined;
  const app = createApiApp(opts, cache);
  if (!cache || opts.auth) return app;
  return (req, res) => {
    // The checks `guard` makes that a cached URL can still fail (it passed the length check once).
    const hit = req.method === 'GET' && acceptsJson(req.headers.accept) ? cache.get(req.url ?? '') : undefined;
    if (!hit) return void app(req, res);
    const started = performance.now();
    if (opts.metrics) {
      const metrics = opts.metrics;
      res.once('finish', () => metrics.observeRequest(hit.route, 200, (performance.now() - started) / 1000));
    }
    // The headers express's res.json would send.
    res.writeHead(200, { 'Content-Type': JSON_TYPE, 'Content-Length': hit.body.length });
    res.end(hit.body);
  };
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** A cached answer while it holds, else a fresh one (cached when it is a 200). */
function serveAnswer(req: Request, res: Response, cache: AnswerCache | undefined, compute: () => Answer): void {
  const hit = cache?.get(req.originalUrl);
  if (hit) return void res.status(200).set('Content-Type', JSON_TYPE).send(hit.body);
  const answer = compute();
  if (!answer.ok || !cache) return sendAnswer(res, answer);
  // Stringified as res.json would, once.
  const body = Buffer.from(JSON.stringify(answer.body));
  cache.set(req.originalUrl, answer.metric, routeLabel(req), body);
  res.status(200).set('Content-Type', JSON_TYPE).send(body);
}

function discoveryRoutes(app: Express, docs: () => DiscoveryDocs): void {
  const json = (pick: (d: DiscoveryDocs) => unknown) => (_req: Request, res: Response) => void res.json(pick(docs()));
  app.get(['/apis', '/apis/'], json((d) => d.groups));
  app.get(['/apis/custom.metrics.k8s.io', '/apis/custom.metrics.k8s.io/'], json((d) => d.customGroup));
  app.get(['/apis/external.metrics.k8s.io', '/apis/external.metrics.k8s.io/'], json((d) => d.externalGroup));
  for (const v of ['v1beta1', 'v1beta2'] as const) {
    app.get([`/apis/custom.metrics.k8s.io/${v}`, `/apis/custom.metrics.k8s.io/${v}/`], json((d) => d.custom[v]));
  }
  app.get(['/apis/external.metrics.k8s.io/v1beta1', '/apis/external.metrics.k8s.io/v1beta1/'], json((d) => d.external));
}

/** Read-only API, JSON only, bounded request targets. */
function guard(req: Request, res: Response, next: NextFunction): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return send(res, statusResponse(405, `the server does not allow this method on the requested resource`));
  }
  if (req.originalUrl.length > MAX_URL_LENGTH) return send(res, statusResponse(414, `request URI longer than ${MAX_URL_LENGTH} bytes`));
  if (!acceptsJson(req.headers.accept)) return send(res, notAcceptable());
  next();
}

function observe(metrics: RequestObserver) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    res.once('finish', () => metrics.observeRequest(routeLabel(req), res.statusCode, (performance.now() - started) / 1000));
    next();
  };
}

/** Last resort: a bug becomes a 500 Status (or 400 for a request express could not decode), never a crash. */
function errorHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) return send(res, statusResponse(status, errorMessage(err)));
    log.error({ err: errorMessage(err), path: req.path }, 'request failed');
    send(res, internalError('unable to serve the request'));
  };
}

function send(res: Response, s: StatusResponse): void {
  if (res.headersSent) return;
  res.status(s.code).json(s.body);
}

function versionInfo() {
  return {
    major: '0', minor: '1', gitVersion: 'v0.1.0', gitCommit: '', gitTreeState: '', buildDate: '',
    goVersion: 'n/a', compiler: 'node', platform: `${process.platform}/${process.arch}`,
  };
}
