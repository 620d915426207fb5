import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { CustomMetricsProvider, ExternalMetricsProvider } from '../provider/index.js';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../util/errors.js';
import { buildDiscovery, type DiscoveryDocs } from './discovery.js';
import { healthRouter, type ReadinessCheck } from './health.js';
import { answerCustom, answerExternal, routeLabel, sendAnswer } from './metric-handlers.js';
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
export function createApiApp(opts: ApiAppOptions): Express {
  const docs = buildDiscovery(opts.custom, opts.external);
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
    sendAnswer(res, answerCustom(req, version, opts.custom));
  });
  app.get(/^\/apis\/external\.metrics\.k8s\.io\/v1beta1\/.+/, (req, res) => sendAnswer(res, answerExternal(req, opts.external)));
  // The aggregator treats 404 as "no OpenAPI here" and stops asking; anything else makes it retry forever.
  app.get(/^\/openapi\/v[23](\/.*)?$/, (_req, res) => send(res, statusResponse(404, NOT_FOUND)));
  app.use((_req, res) => send(res, statusResponse(404, NOT_FOUND)));
  app.use(errorHandler(opts.log));
  return app;
}

function discoveryRoutes(app: Express, docs: DiscoveryDocs): void {
  const json = (body: unknown) => (_req: Request, res: Response) => void res.json(body);
  app.get(['/apis', '/apis/'], json(docs.groups));
  app.get(['/apis/custom.metrics.k8s.io', '/apis/custom.metrics.k8s.io/'], json(docs.customGroup));
  app.get(['/apis/external.metrics.k8s.io', '/apis/external.metrics.k8s.io/'], json(docs.externalGroup));
  for (const v of ['v1beta1', 'v1beta2'] as const) {
    app.get([`/apis/custom.metrics.k8s.io/${v}`, `/apis/custom.metrics.k8s.io/${v}/`], json(docs.custom[v]));
  }
  app.get(['/apis/external.metrics.k8s.io/v1beta1', '/apis/external.metrics.k8s.io/v1beta1/'], json(docs.external));
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
