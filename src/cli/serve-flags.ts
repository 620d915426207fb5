import { InvalidArgumentError, type Command } from 'commander';

/** Raw `serve` flags as commander parses them. */
export interface ServeFlags {
  config?: string;
  kubeconfig?: string;
  standalone?: boolean;
  bindAddress?: string;
  securePort?: number;
  httpPort?: number;
  grpcPort?: number;
  grpcTlsCertFile?: string;
  grpcTlsKeyFile?: string;
  grpcClientCaFile?: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCaFile?: string;
  requestheaderClientCaFile?: string;
  requestheaderAllowedNames?: string[];
  serviceName?: string;
  serviceNamespace?: string;
  redisUrl?: string[];
  bullmqPrefix?: string[];
  prometheusUrl?: string;
  prometheusAdapterConfig?: string;
  prometheusAdapterConfigStrict?: boolean;
  dcgmUrl?: string[];
  dcgmPodLabel?: string;
  dcgmNamespaceLabel?: string;
  policyLeaderElect?: boolean;
  policyLeaseName?: string;
  policyLeaseNamespace?: string;
  logLevel?: string;
}

function port(flag: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`${flag} must be a port number (0-65535), got "${v}"`);
    return n;
  };
}

/** Repeatable flags that also take comma-separated lists: `--redis-url a --redis-url b,c`. */
function list(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), ...v.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}

export function addServeFlags(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'YAML configuration file (flags override it)')
    .option('--kubeconfig <file>', 'kubeconfig for cluster mode (default: $KUBECONFIG, or the pod service account)')
    .option('--standalone', 'run without a cluster: pods come from source labels, a kubeconfig is written to .local/')
    .option('--bind-address <ip>', 'address to listen on (default 127.0.0.1 standalone, 0.0.0.0 in cluster mode)')
    .option('--secure-port <port>', 'HTTPS port of the metrics APIs (default 6443)', port('--secure-port'))
    .option('--http-port <port>', 'plain HTTP port for /metrics and probes (default 8080)', port('--http-port'))
    .option('--grpc-port <port>', 'gRPC port of the KEDA external scaler (default 6000)', port('--grpc-port'))
    .option('--grpc-tls-cert-file <file>', 'KEDA scaler serving certificate (PEM); plaintext gRPC when omitted')
    .option('--grpc-tls-key-file <file>', 'KEDA scaler serving key (PEM)')
    .option('--grpc-client-ca-file <file>', 'CA that signs KEDA\'s client certificates; requires them (mutual TLS)')
    .option('--tls-cert-file <file>', 'serving certificate (PEM); self-signed when omitted')
    .option('--tls-private-key-file <file>', 'serving key (PEM)')
    .option('--client-ca-file <file>', 'cluster mode: CA for client certificates (user = CN, groups = O), besides the cluster\'s client-ca-file')
    .option('--requestheader-client-ca-file <file>', 'cluster mode: front-proxy CA, instead of the one in kube-system/extension-apiserver-authentication')
    .option('--requestheader-allowed-names <cn>', 'with --requestheader-client-ca-file: front-proxy CNs allowed; repeatable or comma list (default any)', list)
    .option('--service-name <name>', 'Service the APIServices point at; names the self-signed certificate (default ai-metrics-adapter)')
    .option('--service-namespace <ns>', 'namespace of that Service (default $POD_NAMESPACE, else ai-metrics-adapter)')
    .option('--redis-url <url>', 'Redis holding BullMQ queues; repeatable or comma list (default $REDIS_URL, standalone: redis://127.0.0.1:6379)', list)
    .option('--bullmq-prefix <prefix>', 'BullMQ key prefix; repeatable or comma list (default bull)', list)
    .option('--prometheus-url <url>', 'Prometheus for storage metrics, GPU metrics without --dcgm-url, and rules')
    .option('--prometheus-adapter-config <file>', 'prometheus-adapter rules file (rules, externalRules) served from --prometheus-url')
    .option('--prometheus-adapter-config-strict', 'unsupported prometheus-adapter features are start-up errors, not warnings')
    .option('--dcgm-url <url>', 'dcgm-exporter /metrics URL; repeatable or comma list', list)
    .option('--dcgm-pod-label <name>', 'label carrying the pod name on DCGM series (default pod; e.g. exported_pod)')
    .option('--dcgm-namespace-label <name>', 'label carrying the namespace on DCGM series (default namespace)')
    // Both forms, so an absent flag leaves the config file's policies.leaderElection.enabled alone.
    .option('--policy-leader-elect', 'cluster mode: only the replica holding the policy Lease writes HPAs and policy status (default)')
    .option('--no-policy-leader-elect', 'cluster mode: every replica reconciles policies (a single replica only)')
    .option('--policy-lease-name <name>', 'Lease of the policy controller\'s leader election (default ai-metrics-adapter-policies)')
    .option('--policy-lease-namespace <ns>', 'namespace of that Lease (default $POD_NAMESPACE, the service account\'s, else --service-namespace)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (default info)');
}

/** Which config field each flag sets, so a bad value is reported under the flag's name. */
export const FLAG_FOR_FIELD: Readonly<Record<string, string>> = {
  'bullmq.urls': '--redis-url',
  'bullmq.prefixes': '--bullmq-prefix',
  'prometheus.url': '--prometheus-url',
  'prometheus.adapter.config': '--prometheus-adapter-config',
  'prometheus.adapter.strict': '--prometheus-adapter-config-strict',
  'dcgm.urls': '--dcgm-url',
  'dcgm.podLabel': '--dcgm-pod-label',
  'dcgm.namespaceLabel': '--dcgm-namespace-label',
  logLevel: '--log-level',
  bindAddress: '--bind-address',
  grpcPort: '--grpc-port',
  grpcTlsCertFile: '--grpc-tls-cert-file',
  grpcTlsKeyFile: '--grpc-tls-key-file',
  grpcClientCaFile: '--grpc-client-ca-file',
  'auth.clientCaFile': '--client-ca-file',
  'auth.requestheaderClientCaFile': '--requestheader-client-ca-file',
  'auth.requestheaderAllowedNames': '--requestheader-allowed-names',
  serviceName: '--service-name',
  serviceNamespace: '--service-namespace',
  'policies.leaderElection.enabled': '--policy-leader-elect',
  'policies.leaderElection.leaseName': '--policy-lease-name',
  'policies.leaderElection.leaseNamespace': '--policy-lease-namespace',
};

/** Overlays the flags that were given on a raw config object (as parsed from YAML). */
export function overlayFlags(raw: Record<string, unknown>, f: ServeFlags): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  const section = (k: string) => (out[k] = { ...((out[k] as Record<string, unknown> | undefined) ?? {}) }) as Record<string, unknown>;
  const set = (obj: Record<string, unknown>, k: string, v: unknown) => {
    if (v !== undefined) obj[k] = v;
  };
  set(out, 'kubeconfig', f.kubeconfig);
  set(out, 'standalone', f.standalone);
  set(out, 'bindAddress', f.bindAddress);
  set(out, 'securePort', f.securePort);
  set(out, 'httpPort', f.httpPort);
  set(out, 'grpcPort', f.grpcPort);
  set(out, 'grpcTlsCertFile', f.grpcTlsCertFile);
  set(out, 'grpcTlsKeyFile', f.grpcTlsKeyFile);
  set(out, 'grpcClientCaFile', f.grpcClientCaFile);
  set(out, 'tlsCertFile', f.tlsCertFile);
  set(out, 'tlsPrivateKeyFile', f.tlsPrivateKeyFile);
  set(out, 'serviceName', f.serviceName);
  set(out, 'serviceNamespace', f.serviceNamespace);
  if (f.clientCaFile || f.requestheaderClientCaFile || f.requestheaderAllowedNames) {
    const a = section('auth');
    set(a, 'clientCaFile', f.clientCaFile);
    set(a, 'requestheaderClientCaFile', f.requestheaderClientCaFile);
    set(a, 'requestheaderAllowedNames', f.requestheaderAllowedNames);
  }
  set(out, 'logLevel', f.logLevel);
  if (f.redisUrl || f.bullmqPrefix) {
    const b = section('bullmq');
    set(b, 'urls', f.redisUrl);
    set(b, 'prefixes', f.bullmqPrefix);
  }
  if (f.prometheusUrl) set(section('prometheus'), 'url', f.prometheusUrl);
  if (f.prometheusAdapterConfig || f.prometheusAdapterConfigStrict) {
    const p = section('prometheus');
    const a = (p.adapter = { ...((p.adapter as Record<string, unknown> | undefined) ?? {}) }) as Record<string, unknown>;
    set(a, 'config', f.prometheusAdapterConfig);
    set(a, 'strict', f.prometheusAdapterConfigStrict);
  }
  if (f.policyLeaderElect !== undefined || f.policyLeaseName || f.policyLeaseNamespace) {
    const p = section('policies');
    const le = (p.leaderElection = { ...((p.leaderElection as Record<string, unknown> | undefined) ?? {}) }) as Record<string, unknown>;
    set(le, 'enabled', f.policyLeaderElect);
    set(le, 'leaseName', f.policyLeaseName);
    set(le, 'leaseNamespace', f.policyLeaseNamespace);
  }
  if (f.dcgmUrl || f.dcgmPodLabel || f.dcgmNamespaceLabel) {
    const d = section('dcgm');
    set(d, 'urls', f.dcgmUrl);
    set(d, 'podLabel', f.dcgmPodLabel);
    set(d, 'namespaceLabel', f.dcgmNamespaceLabel);
  }
  return out;
}
