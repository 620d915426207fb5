export { createApiApp, createApiHandler, type ApiAppOptions, type RequestObserver } from './app.js';
export { healthRouter, type ReadinessCheck } from './health.js';
export { resolveResource, KNOWN_RESOURCES } from './resources.js';
export { parseSelector, everything, SelectorParseError } from './selector.js';
export { formatQuantity, parseQuantity } from './quantity.js';
export { selfSignedCert, type ServingCert } from './tls.js';
export { ServingTls, type ServingTlsOptions } from './serving-tls.js';
export { forbidden, internalError, statusResponse, type DeniedRequest, type StatusResponse } from './status.js';
