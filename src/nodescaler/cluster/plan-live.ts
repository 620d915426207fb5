import { ConfigError } from '../../config/index.js';
import { resolveClusterAccess } from '../../kube/index.js';
import { silentLogger } from '../../util/log.js';
import { loadNodeScalerConfig } from '../config.js';
import type { Plan, ScalerState } from '../types.js';
import { ClusterWatch } from './cluster-watch.js';
import type { EventSink, Evictor, NodePatcher } from './contracts.js';
import { NodeScalerController } from './controller.js';
import { createDcgmNodeFeed, DcgmWindow } from './dcgm-window.js';
import { buildActuators } from './run.js';
import { ConfigMapStateStore } from './state-store.js';

export interface LivePlanOptions {
  config: string;
  kubeconfig?: string;
  dcgmUrl: readonly string[];
  /** Namespace of a running node-scaler's state ConfigMap, read (never written) for its memory. */
  stateNamespace?: string;
  stateConfigmap: string;
  awsEndpoint?: string;
}

/** Any write reaching these is a bug: a live plan is a dry run by construction. */
function refuse(what: string): never {
  throw new Error(`node-scaler plan never writes (${what})`);
}
const noPatches: NodePatcher = { cordon: async () => refuse('cordon'), uncordon: async () => refuse('uncordon'), taint: async () => refuse('taint'), untaint: async () => refuse('untaint') };
const noEvictions: Evictor = { apply: async () => refuse('evict') };
const noEvents: EventSink = { emit: async () => undefined };

/**
 * `node-scaler plan` against the live cluster: one tick of the controller in dry run — the same
 * watch, pool observation, DCGM join and decide() as `node-scaler run`, nothing applied. With the
 * running controller's state ConfigMap it starts from that memory (backoffs, timers).
 */
export async function planLive(opts: LivePlanOptions): Promise<Plan> {
  const config = loadNodeScalerConfig(opts.config);
  config.dryRun = true;
  const access = await resolveClusterAccess({ kubeconfig: opts.kubeconfig });
  if (access.mode !== 'cluster') throw new ConfigError(`node-scaler plan needs --snapshot or a cluster: ${access.why}`);
  const kc = access.kubeConfig;
  const watch = new ClusterWatch({ kubeConfig: kc, log: silentLogger });
  const actuators = buildActuators(config, kc, { nodes: () => watch.objects().nodes, ...(opts.awsEndpoint ? { endpoint: opts.awsEndpoint } : {}) });
  const window = new DcgmWindow({ windowSeconds: config.dcgm.windowSeconds, maxAgeSeconds: config.dcgm.maxAgeSeconds });
  const dcgm = opts.dcgmUrl.length > 0 ? await createDcgmNodeFeed({ urls: opts.dcgmUrl, window, log: silentLogger }) : undefined;
  const saved = opts.stateNamespace ? new ConfigMapStateStore(kc, opts.stateNamespace, opts.stateConfigmap, silentLogger) : undefined;
  const stateStore = saved ? { load: () => saved.load(), save: async (_: ScalerState) => undefined } : undefined;
  const controller = new NodeScalerController({
    config, log: silentLogger, watch, actuators, patcher: noPatches, evictor: noEvictions, events: noEvents,
    dcgm: (node, now) => window.read(node, now),
    isLeader: () => true,
    ...(stateStore ? { stateStore } : {}),
  });
  try {
    await watch.start();
    await dcgm?.start();
    await controller.resume();
    const out = await controller.tick('node-scaler plan');
    if (out.kind !== 'done') throw new Error(`no plan: ${out.kind === 'skipped' ? out.reason : out.kind}`);
    return out.plan;
  } finally {
    await Promise.all([controller.stop(), watch.stop(), dcgm?.stop()]);
  }
}
