import type { Command } from 'commander';
import { ConfigError, loadConfigFile, parseConfig, type Config } from '../config/index.js';
import { planClusterAccess, resolveClusterAccess } from '../kube/index.js';
import { Adapter } from '../serve/adapter.js';
import { createLogger } from '../util/log.js';
import { addServeFlags, FLAG_FOR_FIELD, overlayFlags, type ServeFlags } from './serve-flags.js';

/** Config file first (errors name the file), then flags on top (errors name the flag). */
export function resolveServeConfig(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): Config {
  const raw = loadConfigFile(flags.config) as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${flags.config}: must be a YAML mapping`);
  if (flags.config) parseConfig(raw, flags.config);
  const config = parseConfig(overlayFlags(raw, flags), flags.config ? `${flags.config} + flags` : 'flags', FLAG_FOR_FIELD);
  checkPairs(config);
  return withDefaultRedis(config, flags, env);
}

function checkPairs(c: Config): void {
  if ((c.tlsCertFile === undefined) !== (c.tlsPrivateKeyFile === undefined)) {
    throw new ConfigError('--tls-cert-file and --tls-private-key-file must be given together');
  }
  if ((c.grpcTlsCertFile === undefined) !== (c.grpcTlsKeyFile === undefined)) {
    throw new ConfigError('--grpc-tls-cert-file and --grpc-tls-key-file must be given together');
  }
  if (c.grpcClientCaFile !== undefined && c.grpcTlsCertFile === undefined) {
    throw new ConfigError('--grpc-client-ca-file needs --grpc-tls-cert-file and --grpc-tls-key-file (mutual TLS runs over TLS)');
  }
  if (c.prometheus.adapter.config !== undefined && c.prometheus.url === undefined) {
    throw new ConfigError('--prometheus-adapter-config needs --prometheus-url (prometheus.url): the rules are queried there');
  }
  if (c.prometheus.gpu === true && c.dcgm.urls.length > 0) {
    throw new ConfigError('prometheus.gpu: GPU metrics come from either dcgm.urls (--dcgm-url) or Prometheus, not both');
  }
}

/** BullMQ from $REDIS_URL, and in standalone mode from the local default Redis, when none is configured. */
function withDefaultRedis(c: Config, flags: ServeFlags, env: NodeJS.ProcessEnv): Config {
  if (c.bullmq.urls.length > 0) return c;
  const standalone = planClusterAccess({ kubeconfig: c.kubeconfig, standalone: c.standalone, env }).mode === 'standalone';
  const url = env.REDIS_URL ?? (standalone ? 'redis://127.0.0.1:6379' : undefined);
  if (!url) return c;
  return parseConfig({ ...c, bullmq: { ...c.bullmq, urls: [url] } }, flags.config ?? 'REDIS_URL', FLAG_FOR_FIELD);
}

export function serveCommand(program: Command): Command {
  return addServeFlags(program.command('serve'))
    .description('serve custom.metrics.k8s.io and external.metrics.k8s.io, /metrics and probes')
    .action(async (flags: ServeFlags) => {
      const config = resolveServeConfig(flags);
      const log = createLogger(config.logLevel);
      const access = await resolveClusterAccess({ kubeconfig: config.kubeconfig, standalone: config.standalone });
      if (access.mode === 'standalone') log.info({ why: access.why }, 'standalone mode');
      const adapter = new Adapter({ config, access, log });
      await adapter.start();
      const shutdown = (signal: string) => {
        log.info({ signal }, 'shutting down');
        void adapter.stop().then(() => process.exit(0));
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
}
