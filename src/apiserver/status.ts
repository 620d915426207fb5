import { ProviderError, type ProviderErrorKind } from '../provider/errors.js';
import type { PathError } from './paths.js';
import { SelectorParseError } from './selector.js';
import { renderStatus, type Status, type StatusDetails } from './wire.js';

/**
 * HTTP code ↔ metav1.StatusReason, and builders for the Status bodies Kubernetes' own
 * error constructors (k8s.io/apimachinery/pkg/api/errors) produce, so clients print
 * our message rather than a generic one.
 */

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'Conflict'
  | 'Gone'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'Invalid'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

const REASON_BY_CODE: ReadonlyMap<number, StatusReason> = new Map<number, StatusReason>([
  [400, 'BadRequest'],
  [401, 'Unauthorized'],
  [403, 'Forbidden'],
  [404, 'NotFound'],
  [405, 'MethodNotAllowed'],
  [406, 'NotAcceptable'],
  [409, 'Conflict'],
  [410, 'Gone'],
  [413, 'RequestEntityTooLarge'],
  [415, 'UnsupportedMediaType'],
  [422, 'Invalid'],
  [429, 'TooManyRequests'],
  [500, 'InternalError'],
  [503, 'ServiceUnavailable'],
  [504, 'Timeout'],
]);

const CODE_BY_PROVIDER_KIND: Readonly<Record<ProviderErrorKind, number>> = {
  BadRequest: 400,
  NotFound: 404,
  ServiceUnavailable: 503,
};

/** The reason Kubernetes pairs with `code`; `''` (StatusReasonUnknown) for codes it has none for. */
export function reasonForCode(code: number): StatusReason | '' {
  return REASON_BY_CODE.get(code) ?? '';
}

export function codeForProviderError(kind: ProviderErrorKind): number {
  return CODE_BY_PROVIDER_KIND[kind];
}

/** An HTTP answer: the code to send and the Status body to send with it. */
export interface StatusResponse {
  readonly code: number;
  readonly body: Status;
}

/** A Status for `code` with the matching reason. */
export function statusResponse(code: number, message: string, details?: StatusDetails): StatusResponse {
  return { code, body: renderStatus(code, reasonForCode(code), message, details) };
}

export function fromProviderError(err: ProviderError): StatusResponse {
  return statusResponse(codeForProviderError(err.kind), err.message);
}

export function fromPathError(err: PathError): StatusResponse {
  return statusResponse(err.error.code, err.error.message);
}

/**
 * Any error thrown while answering a request. Provider and selector errors carry messages
 * meant for users; anything else is a bug or a backend detail, so only `publicMessage`
 * is shown (as prometheus-adapter hides Prometheus errors behind `unable to fetch metrics`).
 */
export function fromError(err: unknown, publicMessage = 'unable to fetch metrics'): StatusResponse {
  if (err instanceof ProviderError) return fromProviderError(err);
  if (err instanceof SelectorParseError) return statusResponse(400, err.message);
  return internalError(publicMessage);
}

/** Go's NewInternalError: `Internal error occurred: …` with the cause repeated in details. */
export function internalError(message: string): StatusResponse {
  return statusResponse(500, `Internal error occurred: ${message}`, { causes: [{ message }] });
}

/** Go's NewTooManyRequests; the caller also sets the `Retry-After` header. */
export function tooManyRequests(message: string, retryAfterSeconds: number): StatusResponse {
  return statusResponse(429, message, { retryAfterSeconds });
}

/** Go's NewTimeoutError. */
export function timeoutError(message: string, retryAfterSeconds?: number): StatusResponse {
  const details = retryAfterSeconds === undefined ? undefined : { retryAfterSeconds };
  return statusResponse(504, `Timeout: ${message}`, details);
}

/** 406 for an Accept header that allows neither JSON nor `*\/*`. */
export function notAcceptable(accepted: readonly string[] = ['application/json']): StatusResponse {
  return statusResponse(406, `only the following media types are accepted: ${accepted.join(', ')}`);
}

/** What was denied, as a SubjectAccessReview describes it. */
export interface DeniedRequest {
  readonly user: string;
  readonly verb: string;
  readonly group: string;
  /** `pods` for a metric path (the metric is the subresource). Absent for non-resource paths. */
  readonly resource?: string;
  readonly subresource?: string;
  readonly name?: string;
  readonly namespace?: string;
  /** For non-resource requests, e.g. `/apis/custom.metrics.k8s.io/v1beta2`. */
  readonly path?: string;
  /** The authorizer's reason (SubjectAccessReview `status.reason`), appended when present. */
  readonly reason?: string;
}

/** Go's NewForbidden with the authorizer's message (responsewriters/errors.go). */
export function forbidden(req: DeniedRequest): StatusResponse {
  const reason = forbiddenReason(req);
  if (req.resource === undefined) return statusResponse(403, `forbidden: ${reason}`);
  const qualified = req.group === '' ? req.resource : `${req.resource}.${req.group}`;
  const name = req.name ?? '';
  const message = name === '' ? `${qualified} is forbidden: ${reason}` : `${qualified} ${JSON.stringify(name)} is forbidden: ${reason}`;
  const details = { ...(name === '' ? {} : { name }), ...(req.group === '' ? {} : { group: req.group }), kind: req.resource };
  return statusResponse(403, message, details);
}

function forbiddenReason(req: DeniedRequest): string {
  const base = forbiddenBase(req);
  return req.reason ? `${base}: ${req.reason}` : base;
}

function forbiddenBase(req: DeniedRequest): string {
  const user = JSON.stringify(req.user);
  if (req.resource === undefined) return `User ${user} cannot ${req.verb} path ${JSON.stringify(req.path ?? '')}`;
  const resource = req.subresource ? `${req.resource}/${req.subresource}` : req.resource;
  const head = `User ${user} cannot ${req.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(req.group)}`;
  return req.namespace ? `${head} in the namespace ${JSON.stringify(req.namespace)}` : `${head} at the cluster scope`;
}
