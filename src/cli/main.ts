#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/index.js';
import { errorMessage } from '../util/errors.js';
import { doctorCommand } from './doctor.js';
import { serveCommand } from './serve.js';
import { nodeScalerCommand } from '../nodescaler/index.js';

const program = new Command('ai-metrics-adapter')
  .description('Kubernetes custom and external metrics for GPU, storage and BullMQ workloads')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();
serveCommand(program);
doctorCommand(program);
nodeScalerCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  // Configuration and start-up errors end the process with one readable line.
  const prefix = err instanceof ConfigError ? 'configuration error' : 'error';
  process.stderr.write(`ai-metrics-adapter: ${prefix}: ${errorMessage(err)}\n`);
  process.exit(2);
}
