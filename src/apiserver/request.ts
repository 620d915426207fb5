import type { Request } from 'express';

/** First value of a query parameter, as Go's ListOptions conversion takes it; `''` when absent. */
export function queryParam(req: Request, name: string): string {
  const v = req.query[name];
  if (Array.isArray(v)) return typeof v[0] === 'string' ? v[0] : '';
  return typeof v === 'string' ? v : '';
}

// Whether the client accepts JSON. The HPA's client sends
// `application/vnd.kubernetes.protobuf, */*`; kubectl sends `application/json, */*`.
export function acceptsJson(accept: string | undefined): boolean {
  if (!accept || accept.trim() === '') return true;
  return accept.split(',').some((part) => {
    const type = part.split(';')[0]?.trim().toLowerCase() ?? '';
    return type === '*/*' || type === 'application/*' || type === 'application/json';
  });
}

/** The path after `prefix`, without query, empty segments trimmed at the ends. */
export function pathTail(req: Request, prefix: string): string {
  const path = req.path;
  return path.startsWith(prefix) ? path.slice(prefix.length).replace(/^\/+|\/+$/g, '') : '';
}
