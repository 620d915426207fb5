import type { Server } from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import { ConfigError } from '../../config/index.js';
import { createHttpApp } from '../../exporter/http-app.js';
import { ownNamespace, resolveClusterAccess } from '../../kube/index.js';
import { LeaderElector, type LeaderElectorOptions } from '../../kube/leader-election.js';
import { createLogger, type Logger } from '../../util/log.js';
import { loadNodeScalerConfig, type ActuatorRef, type NodeScalerConfig } from '../config.js';
import { AwsAsgActuator } from './asg-actuator.js';
import type { NodeLink } from './asg-observation.js';
import { ClusterApiActuator } from './capi-actuator.js';
import { ClusterWatch } from './cluster-watch.js';
import type { PoolActuator } from './contracts.js';
import { NodeScalerController } from './controller.js';
import { createDcgmNodeFeed, DcgmWindow, type DcgmNodeFeed } from './dcgm-window.js';
import { DemandHistory } from './demand-history.js';
import { involvedResolver, KubeEventRecorder } from './event-recorder.js';
import { KubeEvictor } from './evictor.js';
import { KarpenterNodePoolActuator } from './karpenter-actuator.js';
import type { RunFlags } from './run-command.js';
import { NodeScalerMetrics } from './metrics.js';
import { KubeNodePatcher } from './node-patcher.js';
import { ConfigMapStateStore } from './state-store.js';

export interface RunningNodeScaler {
  readonly controller: NodeScalerController;
  readonly port: number;
  stop(): Promise<void>;
}

/** Builds and starts everything; rejects with a ConfigError naming the flag or field on bad input. */
export async function startNodeScaler(flags: RunFlags): Promise<RunningNodeScaler> {
  const config = loadNodeScalerConfig(flags.config);
  if (flags.dryRun) config.dryRun = true;
  const port = parsePort(flags.metricsPort);
  const log = createLogger(flags.logLevel);
  const access = await resolveClusterAccess({ kubeconfig: flags.kubeconfig });
  if (access.mode !== 'cluster') throw new ConfigError(`node-scaler run needs a cluster: ${access.why}; pass --kubeconfig`);
  const kc = access.kubeConfig;
  const watch = new ClusterWatch({ kubeConfig: kc, log });
  const actuators = buildActuators(config, kc, { nodes: () => watch.objects().nodes, ...(flags.awsEndpoint ? { endpoint: flags.awsEndpoint } : {}) });
  const identity = flags.identity ?? process.env.POD_NAME;

  const window = new DcgmWindow({ windowSeconds: config.dcgm.windowSeconds, maxAgeSeconds: config.dcgm.maxAgeSeconds });
  const dcgm: DcgmNodeFeed | undefined = flags.dcgmUrl.length > 0 ? await createDcgmNodeFeed({ urls: flags.dcgmUrl, window, log }) : undefined;
  const history = new DemandHistory(config.predictive.lookbackDays, flags.historyFile);
  history.load();

  const registry = new Registry();
  const metrics = new NodeScalerMetrics(registry, config);
  const events = new KubeEventRecorder({ kubeConfig: kc, instance: identity ?? 'node-scaler', resolve: involvedResolver(config), log });
  const namespace = flags.leaseNamespace ?? ownNamespace();
  const stateStore = namespace ? new ConfigMapStateStore(kc, namespace, flags.stateConfigmap, log) : undefined;
  let elector: LeaderElector | undefined;
  const controller = new NodeScalerController({
    config, log, watch, actuators, events, metrics, history,
    patcher: new KubeNodePatcher(kc),
    evictor: new KubeEvictor(kc),
    dcgm: (node, now) => window.read(node, now),
    isLeader: () => elector?.isLeader() ?? true,
    ...(stateStore ? { stateStore } : {}),
    beforeTick: () => metrics.eventsDropped(events.startTick().dropped),
  });
  if (flags.leaderElect) elector = newElector(flags, kc, namespace, identity, log, leadership(controller, metrics));
  else {
    metrics.setLeader(true);
    void controller.resume();
  }

  const server = await listen(createHttpApp(registry, [{ name: 'cluster-watch', ready: () => watch.synced }]), port, bindAddress(flags));
  await watch.start();
  await dcgm?.start();
  controller.start();
  elector?.start();
  const historyTimer = setInterval(() => saveHistory(history, log), 5 * 60_000).unref();
  log.info({ pools: config.pools.length, dryRun: config.dryRun, leaderElection: Boolean(elector), port: addressPort(server) }, 'node-scaler running');

  return {
    controller,
    port: addressPort(server),
    async stop() {
      clearInterval(historyTimer);
      await controller.stop();
      await elector?.stop();
      saveHistory(history, log);
      await Promise.all([watch.stop(), dcgm?.stop()]);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What awsAsg pools need: the Node informer's cache (providerID → node) and the endpoint override. */
export interface AwsWiring {
  nodes: () => Iterable<NodeLink>;
  endpoint?: string;
}

/** One actuator per pool, each engine behind the same PoolActuator seam. */
export function buildActuators(config: NodeScalerConfig, kc: KubeConfig, aws: AwsWiring): Map<string, PoolActuator> {
  return new Map(config.pools.map((pool) => [pool.name, actuatorFor(pool.actuator, kc, aws)]));
}

function actuatorFor(ref: ActuatorRef, kc: KubeConfig, aws: AwsWiring): PoolActuator {
  switch (ref.kind) {
    case 'clusterApi':
      return new ClusterApiActuator(kc, ref);
    case 'karpenterNodePool':
      return new KarpenterNodePoolActuator(kc, ref);
    case 'awsAsg':
      // The SDK is imported by the actuator on its first call, so runs without ASG pools never load it.
      return new AwsAsgActuator(ref, aws);
  }
}

type Leadership = Pick<LeaderElectorOptions, 'onStartedLeading' | 'onStoppedLeading'>;

function newElector(flags: RunFlags, kc: KubeConfig, namespace: string | undefined, identity: string | undefined, log: Logger, callbacks: Leadership): LeaderElector {
  if (!namespace) throw new ConfigError('--lease-namespace is required outside a pod (or set POD_NAMESPACE), or use --no-leader-elect');
  return new LeaderElector({ kubeConfig: kc, namespace, name: flags.leaseName, ...(identity ? { identity } : {}), log, ...callbacks });
}

/** A new leader resumes the saved memory and ticks at once; a deposed one stops acting. */
function leadership(controller: NodeScalerController, metrics: NodeScalerMetrics): Leadership {
  return {
    onStartedLeading: () => {
      metrics.setLeader(true);
      void controller.resume().then(() => controller.requestTick('became leader'));
    },
    onStoppedLeading: () => metrics.setLeader(false),
  };
}

function bindAddress(flags: RunFlags): string {
  return flags.bindAddress ?? (process.env.KUBERNETES_SERVICE_HOST ? '0.0.0.0' : '127.0.0.1');
}

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--metrics-port: must be a port number 0–65535, not ${raw}`);
  return port;
}

function saveHistory(history: DemandHistory, log: Logger): void {
  try {
    history.save();
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'could not save the demand history');
  }
}

function listen(app: ReturnType<typeof createHttpApp>, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, () => resolve(server));
    server.once('error', (err) => reject(new ConfigError(`--metrics-port ${port} on ${host}: ${err.message}`)));
  });
}

function addressPort(server: Server): number {
  const addr = server.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}
