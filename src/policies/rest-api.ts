import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { UserInfo } from '../auth/index.js';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../util/errors.js';
import { describeErrors } from './field-errors.js';
import { codeOf, KubeError, type HpaObject, type RescaleCounts } from './hpa-client.js';
import { readHpaMetrics, type ReadingDeps } from './hpa-readings.js';
import { FRONT_END_LABEL, MANAGED_BY, MANAGED_BY_LABEL } from './hpa-spec.js';
import type { HpaAccess, RestAuth } from './rest-auth.js';
import { compileAutoscalerRequest, parseAutoscalerRequest } from './rest-request.js';
import { aggregateViews, autoscalerView, autoscalingId, parseAutoscalingId, type AutoscalerView } from './rest-view.js';

/**
 * The REST autoscaler API under /api/v1 on the plain-HTTP app. The HPAs it creates are its only
 * state: they carry its labels and their id is `<namespace>.<name>`, so a restart or another
 * replica of the adapter sees exactly the same autoscalers. Errors are `{error, details}`.
 */

const FRONT_END = 'rest-api';
const OURS = `${FRONT_END_LABEL}=${FRONT_END}`;
const BODY_LIMIT = '64kb';

export interface RestApiDeps extends ReadingDeps {
  readonly auth: RestAuth;
  readonly log: Logger;
}

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly error: string,
    readonly details: unknown,
  ) {
    super(error);
  }
}

type Handler = (req: Request, res: Response) => Promise<void>;

export function restAutoscalerRouter(deps: RestApiDeps): Router {
  const router = Router();
  const { hpas, auth, log } = deps;

  const authenticate = async (req: Request): Promise<UserInfo> => {
    const who = await auth.authenticate(req.headers.authorization);
    if (!who.ok) throw new HttpError(who.code, who.error, who.details);
    return who.user;
  };
  /** TokenReview, then SubjectAccessReview; answers the user's name. */
  const authorize = async (req: Request, access: HpaAccess, known?: UserInfo): Promise<string> => {
    const user = known ?? (await authenticate(req));
    const decision = await auth.authorize(user, access);
    if (!decision.ok) throw new HttpError(decision.code, decision.error, decision.details);
    return user.name;
  };

  const view = async (hpa: HpaObject, counts?: Map<string, RescaleCounts>): Promise<AutoscalerView> => {
    const [readings, byUid] = await Promise.all([
      readHpaMetrics(deps, hpa.metadata.namespace, hpa.spec, hpa.status),
      counts ? Promise.resolve(counts) : hpas.rescaleCounts(hpa.metadata.namespace),
    ]);
    return autoscalerView(hpa, readings, byUid.get(hpa.metadata.uid ?? ''));
  };

  /** Ours, by id; 404 otherwise (an HPA someone else made is not an autoscaler of this API). */
  const find = async (id: string): Promise<HpaObject | undefined> => {
    const ref = parseAutoscalingId(id);
    if (!ref) return undefined;
    const hpa = await hpas.get(ref.namespace, ref.name);
    return hpa?.metadata.labels?.[FRONT_END_LABEL] === FRONT_END ? hpa : undefined;
  };

  const namespaceParam = (req: Request): string => {
    const ns = req.query.namespace;
    return typeof ns === 'string' ? ns : '';
  };

  const listViews = async (namespace: string): Promise<AutoscalerView[]> => {
    const [items, counts] = await Promise.all([hpas.list(namespace || undefined, OURS), hpas.rescaleCounts(namespace || undefined)]);
    return Promise.all(items.map((h) => view(h, counts)));
  };

  router.post('/api/v1/autoscaling', express.json({ limit: BODY_LIMIT, type: () => true }), handle(async (req, res) => {
    // Authenticated before validation (no hints for strangers), authorized once the namespace is known.
    const caller = await authenticate(req);
    const parsed = parseAutoscalerRequest(req.body);
    if (!parsed.ok) throw new HttpError(400, describeErrors(parsed.errors), parsed.errors);
    const r = parsed.value;
    const namespace = r.workload_namespace;
    const name = r.workload_name;
    const user = await authorize(req, { verb: 'create', namespace }, caller);
    const id = autoscalingId(namespace, name);
    const existing = await hpas.list(namespace);
    const sameName = existing.find((h) => h.metadata.name === name);
    if (sameName) {
      const ours = sameName.metadata.labels?.[FRONT_END_LABEL] === FRONT_END;
      throw new HttpError(409, ours ? `autoscaler ${id} already exists` : `an HPA named ${name} already exists in ${namespace}`, {
        autoscaling_id: id, hpa_name: name, managed_by_this_api: ours,
      });
    }
    const rival = existing.find((h) => h.spec.scaleTargetRef.kind === r.workload_type && h.spec.scaleTargetRef.name === name);
    if (rival) {
      throw new HttpError(409, `${r.workload_type} ${namespace}/${name} is already scaled by HPA ${rival.metadata.name}`, {
        hpa_name: rival.metadata.name, reason: 'two HPAs on one workload fight each other',
      });
    }
    const spec = compileAutoscalerRequest(r);
    const created = await hpas.create({
      metadata: { name, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [FRONT_END_LABEL]: FRONT_END } },
      spec,
    });
    log.info({ id, user, target: `${r.workload_type}/${name}` }, 'autoscaler created');
    const v = await view(created, new Map());
    const on = spec.metrics.map((m) => (m.type === 'Resource' ? m.resource.name : m.type === 'Pods' ? m.pods.metric.name : m.object.metric.name));
    res.status(201).json({
      autoscaling_id: id,
      status: v.status,
      message: `HPA ${namespace}/${name} scales ${r.workload_type} ${name} between ${r.min_replicas} and ${r.max_replicas} replicas on ${on.join(', ')}`,
      details: v.details,
    });
  }));

  router.get('/api/v1/autoscaling', handle(async (req, res) => {
    const namespace = namespaceParam(req);
    await authorize(req, { verb: 'list', namespace });
    const autoscalers = await listViews(namespace);
    res.json({ autoscalers, count: autoscalers.length });
  }));

  router.get('/api/v1/autoscaling/metrics', handle(async (req, res) => {
    const namespace = namespaceParam(req);
    await authorize(req, { verb: 'list', namespace });
    res.json(aggregateViews(await listViews(namespace)));
  }));

  router.get('/api/v1/autoscaling/:id', handle(async (req, res) => {
    const id = String(req.params.id);
    const ref = parseAutoscalingId(id);
    if (!ref) throw notFound(id);
    await authorize(req, { verb: 'get', namespace: ref.namespace, name: ref.name });
    const hpa = await find(id);
    if (!hpa) throw notFound(id);
    res.json(await view(hpa));
  }));

  router.delete('/api/v1/autoscaling/:id', handle(async (req, res) => {
    const id = String(req.params.id);
    const ref = parseAutoscalingId(id);
    if (!ref) throw notFound(id);
    const user = await authorize(req, { verb: 'delete', namespace: ref.namespace, name: ref.name });
    const hpa = await hpas.get(ref.namespace, ref.name);
    if (hpa && hpa.metadata.labels?.[FRONT_END_LABEL] !== FRONT_END) {
      throw new HttpError(404, `no autoscaler ${id}`, `HPA ${ref.namespace}/${ref.name} exists but was not created by this API; delete it with kubectl`);
    }
    // Idempotent: deleting what is already gone answers the same.
    const deleted = hpa ? await hpas.delete(ref.namespace, ref.name, hpa.metadata.uid) : false;
    if (deleted) log.info({ id, user }, 'autoscaler deleted');
    res.json({ autoscaling_id: id, status: 'deleted', message: deleted ? `autoscaler ${id} deleted` : `autoscaler ${id} does not exist (already deleted)` });
  }));

  router.use('/api/v1', (req, res) => void res.status(404).json({ error: 'not found', details: `no route ${req.method} ${req.originalUrl}` }));
  router.use('/api/v1', errorHandler(log));
  return router;
}

export { standaloneRestRouter } from './standalone-router.js';

function notFound(id: string): HttpError {
  return new HttpError(404, `no autoscaler ${id}`, 'ids are <namespace>.<name>, as POST /api/v1/autoscaling returned them');
}

function handle(fn: Handler) {
  return (req: Request, res: Response, next: NextFunction) => void fn(req, res).catch(next);
}

function errorHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    if (err instanceof HttpError) return void res.status(err.code).json({ error: err.error, details: err.details });
    if ((err as { type?: string }).type === 'entity.parse.failed') {
      return void res.status(400).json({ error: 'request body is not valid JSON', details: errorMessage(err) });
    }
    if ((err as { type?: string }).type === 'entity.too.large') {
      return void res.status(413).json({ error: 'request body too large', details: `at most ${BODY_LIMIT}` });
    }
    const code = codeOf(err);
    if (err instanceof KubeError && (code === 404 || code === 409)) {
      return void res.status(code).json({ error: err.message, details: { kube_status: code } });
    }
    log.error({ err: errorMessage(err), method: req.method, path: req.path }, 'REST autoscaler request failed');
    res.status(500).json({ error: 'internal error', details: errorMessage(err) });
  };
}
