import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { runDoctor } from '../doctor/index.js';
import { ConfigError } from '../config/index.js';

interface DoctorFlags {
  kubeconfig?: string;
  namespace: string;
}

/** Flag, then $KUBECONFIG, then the standalone adapter's own kubeconfig. */
function kubeconfigFile(flag: string | undefined): string {
  const file = flag ?? process.env.KUBECONFIG ?? '.local/kubeconfig';
  if (!existsSync(file)) throw new ConfigError(`--kubeconfig ${file}: no such file (start the adapter with npm start, or pass --kubeconfig)`);
  return file;
}

export function doctorCommand(program: Command): Command {
  return program
    .command('doctor')
    .description(
      'replay what the aggregator and the HPA do against a running adapter (directly, or through kube-apiserver) and explain failures',
    )
    .option('--kubeconfig <file>', 'kubeconfig of the cluster or of a standalone adapter (default: $KUBECONFIG, then .local/kubeconfig)')
    .option('--namespace <ns>', 'namespace for the sample HPA queries', 'default')
    .action(async (flags: DoctorFlags) => {
      // Imported on use: every other subcommand would otherwise pay for loading @kubernetes/client-node.
      const { KubeConfig } = await import('@kubernetes/client-node');
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfigFile(flags.kubeconfig));
      const result = await runDoctor({ kubeConfig: kc, namespace: flags.namespace });
      process.stdout.write(result.report);
      process.exitCode = result.failed ? 1 : 0;
    });
}
