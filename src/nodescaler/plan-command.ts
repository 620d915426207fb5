import type { Command } from 'commander';
import { loadNodeScalerConfig } from './config.js';
import { decide } from './decide.js';
import { readSnapshotFile } from './snapshot-file.js';
import type { Plan } from './types.js';
import { addRunCommand } from './cluster/run-command.js';

/**
 * `node-scaler plan`: runs decide() once on a snapshot file and prints the plan. A dry run by
 * construction — it reads two files and writes to stdout; it never talks to a cluster. The
 * controller that builds snapshots from informers and executes plans is `node-scaler run`.
 */
export function planFromFiles(configFile: string, snapshotFile: string): Plan {
  const config = loadNodeScalerConfig(configFile);
  return decide(readSnapshotFile(snapshotFile, config));
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
  snapshot: string;
  output: string;
}

/** Registers `node-scaler run` and `node-scaler plan` on the program. */
export function nodeScalerCommand(program: Command, write: (text: string) => void = (t) => void process.stdout.write(t)): Command {
  const cmd = program.command('node-scaler').description('GPU node-scaler: `run` the controller, or `plan` a dry run of decide() on a snapshot file');
  addRunCommand(cmd);
  cmd
    .command('plan')
    .description('print the plan decide() makes for a snapshot file (never touches a cluster)')
    .requiredOption('--config <file>', 'node-scaler YAML config')
    .requiredOption('--snapshot <file>', 'snapshot JSON (pools, nodes, pods, pdbs, state, now)')
    .option('--output <format>', 'summary or json', 'summary')
    .action((flags: PlanFlags) => {
      if (flags.output !== 'summary' && flags.output !== 'json') throw new Error(`--output must be summary or json, not ${flags.output}`);
      const plan = planFromFiles(flags.config, flags.snapshot);
      write(flags.output === 'json' ? JSON.stringify(plan, null, 2) + '\n' : formatPlanSummary(plan));
    });
  return cmd;
}
