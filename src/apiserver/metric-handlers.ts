import type { Request, Response } from 'express';
import type { CustomMetricsProvider, ExternalMetricsProvider } from '../provider/index.js';
import { isPathError, parseCustomPath, parseExternalPath } from './paths.js';
import { parseSelector } from './selector.js';
import { fromError, fromPathError, type StatusResponse } from './status.js';
import { renderCustomList, renderExternalList, type CustomVersion } from './wire.js';
import { pathTail, queryParam } from './request.js';

/** The result of one metrics request: a body to send with 200, or a Status. */
export type Answer = { readonly ok: true; readonly metric: string; readonly body: unknown } | { readonly ok: false; readonly status: StatusResponse };

/** `GET /apis/custom.metrics.k8s.io/<version>/...`: paths A–E of the spec. */
export function answerCustom(req: Request, version: CustomVersion, provider: CustomMetricsProvider): Answer {
  const path = parseCustomPath(pathTail(req, `/apis/custom.metrics.k8s.io/${version}`));
  if (isPathError(path)) return { ok: false, status: fromPathError(path) };
  try {
    const metricSelector = parseSelector(queryParam(req, 'metricLabelSelector'));
    const items =
      path.form === 'object'
        ? [provider.getMetricByName(path.resource, path.namespace, path.name, path.metric, metricSelector)]
        : provider.getMetricBySelector(
            path.resource,
            path.namespace,
            parseSelector(queryParam(req, 'labelSelector')),
            path.metric,
            metricSelector,
          );
    return { ok: true, metric: path.metric, body: renderCustomList(version, items, metricSelector) };
  } catch (err) {
    return { ok: false, status: fromError(err) };
  }
}

/** `GET /apis/external.metrics.k8s.io/v1beta1/namespaces/<ns>/<metric>`. */
export function answerExternal(req: Request, provider: ExternalMetricsProvider): Answer {
  const path = parseExternalPath(pathTail(req, '/apis/external.metrics.k8s.io/v1beta1'));
  if (isPathError(path)) return { ok: false, status: fromPathError(path) };
  try {
    const selector = parseSelector(queryParam(req, 'labelSelector'));
    return { ok: true, metric: path.metric, body: renderExternalList(provider.getExternalMetric(path.namespace, path.metric, selector)) };
  } catch (err) {
    return { ok: false, status: fromError(err) };
  }
}

/** A low-cardinality route label for request metrics: no object names, no namespaces. */
export function routeLabel(req: Request): string {
  const parts = req.path.split('/').filter((s) => s !== '');
  if (parts[0] !== 'apis') return parts[0] ?? '/';
  if (parts.length <= 3) return 'discovery';
  if (parts[1] === 'external.metrics.k8s.io') return 'external';
  const wildcard = parts.includes('*') || parts.includes('%2A');
  return `custom/${parts[2]}/${wildcard ? 'selector' : 'object'}`;
}

export function sendAnswer(res: Response, answer: Answer): void {
  if (answer.ok) res.status(200).json(answer.body);
  else res.status(answer.status.code).json(answer.status.body);
}
