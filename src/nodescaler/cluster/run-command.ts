import type { Command } from 'commander';
import { DEFAULT_LEASE_NAME, DEFAULT_STATE_CONFIGMAP } from '../names.js';

export interface RunFlags {
  config: string;
  kubeconfig?: string;
  dcgmUrl: string[];
  /** AWS Auto Scaling API endpoint override (VPC endpoint, tests); default: the region's public endpoint. */
  awsEndpoint?: string;
  bindAddress?: string;
  metricsPort: string;
  leaderElect: boolean;
  leaseNamespace?: string;
  leaseName: string;
  stateConfigmap: string;
  identity?: string;
  historyFile?: string;
  dryRun?: boolean;
  logLevel: string;
}

/** Registers `node-scaler run`: the controller that watches the cluster and applies plans. */
export function addRunCommand(parent: Command): Command {
  return parent
    .command('run')
    .description('watch the cluster, decide every scan interval and act through the pools\' engines (only the Lease holder acts)')
    .requiredOption('--config <file>', 'node-scaler YAML config')
    .option('--kubeconfig <file>', 'kubeconfig (default: $KUBECONFIG, else the in-cluster service account)')
    .option('--dcgm-url <url>', 'dcgm-exporter /metrics URL for per-node GPU utilisation (repeatable); without one, utilisation is unknown and only allocation drives scale-down', collect, [])
    .option('--aws-endpoint <url>', 'AWS Auto Scaling API endpoint for awsAsg pools (e.g. a VPC interface endpoint); default: the pool region\'s public endpoint')
    .option('--bind-address <ip>', 'address of the metrics/probe listener (default 0.0.0.0 in a pod, else 127.0.0.1)')
    .option('--metrics-port <port>', 'port of /metrics, /healthz and /readyz', '8080')
    .option('--no-leader-elect', 'act without a Lease (one replica only)')
    .option('--lease-namespace <ns>', 'namespace of the Lease (default: $POD_NAMESPACE, else the service account\'s namespace)')
    .option('--lease-name <name>', 'name of the Lease', DEFAULT_LEASE_NAME)
    .option('--state-configmap <name>', 'ConfigMap (in the Lease namespace) holding the controller\'s memory across failovers', DEFAULT_STATE_CONFIGMAP)
    .option('--identity <id>', 'holder identity in the Lease (default: $POD_NAME, else host_pid)')
    .option('--history-file <file>', 'keep the predictor\'s demand history in this file (e.g. on a PersistentVolume) so it survives restarts')
    .option('--dry-run', 'apply nothing, whatever the config says (plans are still made, logged and exported)')
    .option('--log-level <level>', 'pino log level', process.env.LOG_LEVEL ?? 'info')
    .action(async (flags: RunFlags) => {
      // Loaded here: the controller pulls in @kubernetes/client-node, which `serve` in standalone mode never needs.
      const { startNodeScaler } = await import('./run.js');
      const runner = await startNodeScaler(flags);
      const shutdown = () => void runner.stop().then(() => process.exit(0));
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

