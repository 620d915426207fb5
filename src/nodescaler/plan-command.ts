import type { Command } from 'commander';
import { loadNodeScalerConfig } from './config.js';
import { decide } from './decide.js';
import { readSnapshotFile } from './snapshot-file.js';
import type { Plan } from './types.js';
import { addRunCommand } from './cluster/run-command.js';
import { ConfigError } from '../config/index.js';
import { DEFAULT_STATE_CONFIGMAP } from './names.js';

/**
 * `node-scaler plan`: runs decide() once and prints the plan — on a snapshot file (it reads two
 * files and never talks to a cluster), or on the live cluster (one dry-run tick of the
 * controller, plan-live.ts). The controller that executes plans is `node-scaler run`.
 */
export function planFromFiles(configFile: string, snapshotFile: string): Plan {
  const config = loadNodeScalerConfig(configFile);
  return decide(readSnapshotFile(snapshotFile, config));
}

/** Loaded on demand: the live path pulls in @kubernetes/client-node, the file path never does. */
async function livePlan(flags: PlanFlags): Promise<Plan> {
  const { planLive } = await import('./cluster/plan-live.js');
  return planLive(flags);
}

/** A few lines a person reads: pool changes, node actions, pods that cannot be served. */
export function formatPlanSummary(plan: Plan): string {
  const lines = [`plan at ${new Date(plan.at).toISOString()} (dry run: nothing is applied)`];
  for (const p of plan.pools) {
    const change = p.desired === p.current ? 'hold' : `${p.current} → ${p.desired}`;
    lines.push(`pool ${p.name} [${p.tier}, ${p.availability}]: ${change}${p.reasons.length ? ` — ${p.reasons.join('; ')}` : ''}`);
  }
  for (const a of plan.nodeActions) {
    const target = a.kind === 'evict' || a.kind === 'forceDelete' ? `${a.pod.namespace}/${a.pod.name} on ${a.node}` : a.node;
    lines.push(`${a.kind} ${target}: ${a.reason}`);
  }
  for (const v of plan.pods) if (v.status === 'unsatisfiable' || v.status === 'deferred') lines.push(`pod ${v.namespace}/${v.name} ${v.status}: ${v.reason}`);
  const s = plan.summary;
  lines.push(`pending GPU pods ${s.pendingGpuPods} (scale-up ${s.scaleUp}, in flight ${s.absorbed}, fit existing ${s.fitsExisting}, deferred ${s.deferred}, unsatisfiable ${s.unsatisfiable}); new nodes ${s.newNodes}, removed ${s.removedNodes}, draining ${s.drainingNodes}; spot share ${s.spotShare.toFixed(2)} (cap ${s.effectiveSpotMaxShare.toFixed(2)})`);
  return lines.join('\n') + '\n';
}

interface PlanFlags {
  config: string;
  snapshot?: string;
  kubeconfig?: string;
  dcgmUrl: string[];
  stateNamespace?: string;
  stateConfigmap: string;
  awsEndpoint?: string;
  output: string;
}

/** Registers `node-scaler run` and `node-scaler plan` on the program. */
export function nodeScalerCommand(program: Command, write: (text: string) => void = (t) => void process.stdout.write(t)): Command {
  const cmd = program.command('node-scaler').description('GPU node-scaler: `run` the controller, or `plan` a dry run of decide() on a snapshot file');
  addRunCommand(cmd);
  cmd
    .command('plan')
    .description('print the plan decide() makes, for a snapshot file or for the live cluster; never applies anything')
    .requiredOption('--config <file>', 'node-scaler YAML config')
    .option('--snapshot <file>', 'snapshot JSON (pools, nodes, pods, pdbs, state, now); without it the live cluster is read')
    .option('--kubeconfig <file>', 'live cluster: kubeconfig (default $KUBECONFIG, else the in-cluster service account)')
    .option('--dcgm-url <url>', 'live cluster: dcgm-exporter /metrics URL (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--state-namespace <ns>', 'live cluster: namespace of the running node-scaler, whose state ConfigMap is read (never written)')
    .option('--state-configmap <name>', 'live cluster: name of that ConfigMap', DEFAULT_STATE_CONFIGMAP)
    .option('--aws-endpoint <url>', 'live cluster: AWS Auto Scaling API endpoint for awsAsg pools')
    .option('--output <format>', 'summary or json', 'summary')
    .action(async (flags: PlanFlags) => {
      if (flags.output !== 'summary' && flags.output !== 'json') throw new ConfigError(`--output must be summary or json, not ${flags.output}`);
      const plan = flags.snapshot !== undefined ? planFromFiles(flags.config, flags.snapshot) : await livePlan(flags);
      write(flags.output === 'json' ? JSON.stringify(plan, null, 2) + '\n' : formatPlanSummary(plan));
    });
  return cmd;
}
