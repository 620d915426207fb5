import { z } from 'zod';

/**
 * The YAML configuration (`--config FILE`). Every field has a default, so an empty file
 * is valid; command-line flags override what the file says. Unknown keys are errors, so
 * a typo never silently turns a setting off.
 */
const seconds = (def: number) => z.number().positive().default(def);
const url = z.url({ protocol: /^https?$/ });

const dcgmSchema = z.strictObject({
  urls: z.array(url).default([]),
  podLabel: z.string().min(1).default('pod'),
  namespaceLabel: z.string().min(1).default('namespace'),
  containerLabel: z.string().min(1).default('container'),
  intervalSeconds: seconds(10),
  timeoutSeconds: seconds(5),
});

const ruleSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_:.-]*$/, 'must be a metric name (letters, digits, _ : . -)'),
  kind: z.enum(['pods', 'object', 'external']),
  query: z.string().min(1),
  resource: z.string().optional(),
  namespaceLabel: z.string().optional(),
  objectLabel: z.string().optional(),
  windowSeconds: z.number().int().positive().optional(),
  maxAgeSeconds: z.number().positive().optional(),
});

/** `--prometheus-adapter-config`: a prometheus-adapter rules file served from prometheus.url (docs/prometheus-adapter.md). */
const promAdapterSchema = z.strictObject({
  config: z.string().min(1).optional(),
  /** Unsupported features in that file are start-up errors instead of warnings. */
  strict: z.boolean().default(false),
  /** Series discovery period (prometheus-adapter's --metrics-relist-interval). */
  relistIntervalSeconds: seconds(60),
});

const prometheusSchema = z.strictObject({
  url: url.optional(),
  intervalSeconds: seconds(15),
  timeoutSeconds: seconds(10),
  rateWindow: z.string().regex(/^\d+[smh]$/, 'must be a Prometheus duration such as 2m').default('2m'),
  /** Serve the GPU metrics from DCGM series in Prometheus; default: when no dcgm URL is set. */
  gpu: z.boolean().optional(),
  podLabel: z.string().min(1).default('pod'),
  namespaceLabel: z.string().min(1).default('namespace'),
  headers: z.record(z.string(), z.string()).default({}),
  rules: z.array(ruleSchema).default([]),
  adapter: promAdapterSchema.default(promAdapterSchema.parse({})),
});

const bullmqSchema = z.strictObject({
  urls: z.array(z.string().regex(/^rediss?(-cluster)?:\/\//, 'must be a redis://, rediss:// or redis-cluster:// URL')).default([]),
  prefixes: z.array(z.string().min(1)).default(['bull']),
  queues: z.array(z.string().min(1)).default([]),
  intervalSeconds: seconds(2),
  timeoutSeconds: seconds(2),
  discoveryIntervalSeconds: seconds(15),
});

/** Cluster mode's delegated authentication/authorization (Go's --client-ca-file, --requestheader-*, cache TTLs). */
const authSchema = z.strictObject({
  /** Extra CA for direct client certificates (user = CN, groups = O), besides the ConfigMap's client-ca-file. */
  clientCaFile: z.string().optional(),
  /** Front-proxy CA; replaces the ConfigMap's requestheader settings (headers X-Remote-User/-Group/-Extra-). */
  requestheaderClientCaFile: z.string().optional(),
  /** With requestheaderClientCaFile: CNs allowed to assert users; empty = any certificate that CA signed. */
  requestheaderAllowedNames: z.array(z.string().min(1)).default([]),
  /** How often kube-system/extension-apiserver-authentication and the CA files are re-read. */
  configMapRefreshSeconds: seconds(60),
  tokenCacheSeconds: seconds(10),
  allowCacheSeconds: seconds(10),
  denyCacheSeconds: seconds(10),
});

/**
 * The policy controller's leader election: with several replicas only the holder of this Lease
 * writes HPAs and policy status (client-go's defaults: 15 s lease, 10 s renew deadline, 2 s retry).
 */
const policyLeaderElectionSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    leaseName: z.string().min(1).default('ai-metrics-adapter-policies'),
    /** Default: $POD_NAMESPACE, the service account's namespace, else serviceNamespace, else ai-metrics-adapter. */
    leaseNamespace: z.string().min(1).optional(),
    leaseDurationSeconds: z.number().int().min(1).default(15),
    renewDeadlineSeconds: seconds(10),
    retryPeriodSeconds: seconds(2),
  })
  .superRefine((le, ctx) => {
    if (!(le.renewDeadlineSeconds < le.leaseDurationSeconds)) {
      ctx.addIssue({ code: 'custom', path: ['renewDeadlineSeconds'], message: `must be less than leaseDurationSeconds (${le.leaseDurationSeconds})` });
    }
    if (!(le.retryPeriodSeconds < le.renewDeadlineSeconds)) {
      ctx.addIssue({ code: 'custom', path: ['retryPeriodSeconds'], message: `must be less than renewDeadlineSeconds (${le.renewDeadlineSeconds})` });
    }
  });

const policiesSchema = z.strictObject({
  resyncSeconds: seconds(15),
  leaderElection: policyLeaderElectionSchema.default(policyLeaderElectionSchema.parse({})),
});

const metricOverrideSchema = z.strictObject({
  maxAgeSeconds: z.number().positive().optional(),
  aggregation: z.enum(['mean', 'max', 'sum']).optional(),
});

export const configSchema = z.strictObject({
  kubeconfig: z.string().optional(),
  standalone: z.boolean().optional(),
  bindAddress: z.string().optional(),
  securePort: z.number().int().min(0).max(65535).default(6443),
  httpPort: z.number().int().min(0).max(65535).default(8080),
  /** KEDA external scaler (gRPC); plaintext unless grpcTlsCertFile/grpcTlsKeyFile are set. */
  grpcPort: z.number().int().min(0).max(65535).default(6000),
  grpcTlsCertFile: z.string().optional(),
  grpcTlsKeyFile: z.string().optional(),
  /** With a client CA, KEDA must present a certificate it signed (mutual TLS). */
  grpcClientCaFile: z.string().optional(),
  tlsCertFile: z.string().optional(),
  tlsPrivateKeyFile: z.string().optional(),
  /** The Service the APIServices point at; the self-signed certificate is for `<serviceName>.<serviceNamespace>.svc`. */
  serviceName: z.string().min(1).default('ai-metrics-adapter'),
  /** Default: $POD_NAMESPACE, else ai-metrics-adapter. */
  serviceNamespace: z.string().min(1).optional(),
  auth: authSchema.default(authSchema.parse({})),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Where standalone mode writes its kubeconfig and certificate. */
  localDir: z.string().default('.local'),
  dcgm: dcgmSchema.default(dcgmSchema.parse({})),
  prometheus: prometheusSchema.default(prometheusSchema.parse({})),
  bullmq: bullmqSchema.default(bullmqSchema.parse({})),
  metrics: z.record(z.string(), metricOverrideSchema).default({}),
  /** AIInferenceAutoscalerPolicy controller (cluster mode): resync period and leader election. */
  policies: policiesSchema.default(policiesSchema.parse({})),
});

export type Config = z.infer<typeof configSchema>;
export type PrometheusRuleConfig = z.infer<typeof ruleSchema>;
export type PolicyLeaderElectionConfig = z.infer<typeof policyLeaderElectionSchema>;
