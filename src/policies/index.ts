// Types only: the front-ends load @kubernetes/client-node, so cluster mode imports './front-ends.js' when it needs it.
export type { PolicyFrontEnds, PolicyFrontEndsOptions } from './front-ends.js';
export { standaloneRestRouter } from './standalone-router.js';
export { compileAutoscalerRequest, parseAutoscalerRequest, type AutoscalerRequest } from './rest-request.js';
export { compilePolicy, parsePolicySpec, policyMetricName, type CompiledPolicy, type PolicyQuery, type PolicySpec } from './policy-spec.js';
export type { HpaSpec, MetricSpec } from './hpa-spec.js';
export type { FieldError } from './field-errors.js';
