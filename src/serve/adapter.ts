import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config/index.js';
import type { ClusterAccess } from '../kube/index.js';
import { LiveObjects } from '../kube/index.js';
import { StoreProvider } from '../provider/index.js';
import { MetricStore, Poller } from '../store/index.js';
import { createApiApp, resolveResource, readServingCert, selfSignedCert, type ServingCert, type ReadinessCheck } from '../apiserver/index.js';
import { SelfMetrics, createHttpApp } from '../exporter/index.js';
import { writeStandaloneKubeconfig } from '../cli/standalone.js';
import type { Logger } from '../util/log.js';
import { buildCatalog } from './catalog.js';
import { buildSources } from './sources.js';

/** Go's HTTP client keeps idle connections 90 s; ours must outlive that or the aggregator sees resets. */
const KEEP_ALIVE_MS = 120_000;

export interface AdapterOptions {
  readonly config: Config;
  readonly access: ClusterAccess;
  readonly log: Logger;
}

/** The running `serve` process: store, pollers, object watch and the two listeners. */
export class Adapter {
  readonly store: MetricStore;
  readonly metrics: SelfMetrics;
  private readonly pollers: Poller[];
  private readonly objects?: LiveObjects;
  private https?: HttpsServer;
  private http?: HttpServer;
  /** Where standalone mode wrote its kubeconfig. */
  kubeconfigPath?: string;

  constructor(private readonly opts: AdapterOptions) {
    const { config, access, log } = opts;
    this.store = new MetricStore(buildCatalog(config));
    this.metrics = new SelfMetrics(this.store);
    this.pollers = buildSources(config, log).map(
      ({ source, poll }) => new Poller(source, this.store, poll, log.child({ component: 'poller' }), this.metrics),
    );
    if (access.mode === 'cluster') this.objects = new LiveObjects(access.kubeConfig, log.child({ component: 'kube' }));
  }

  get securePort(): number {
    return (this.https?.address() as AddressInfo | null)?.port ?? 0;
  }

  get httpPort(): number {
    return (this.http?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** Listens first (discovery must answer at once), then starts polling and watching. */
  async start(): Promise<void> {
    const { config, access, log } = this.opts;
    const host = config.bindAddress ?? (access.mode === 'standalone' ? '127.0.0.1' : '0.0.0.0');
    const cert = await this.servingCert(host);
    const provider = new StoreProvider({ store: this.store, resolveResource, objects: this.objects });
    const checks = this.readinessChecks();
    const api = createApiApp({ custom: provider, external: provider, checks, metrics: this.metrics, log: log.child({ component: 'api' }) });
    this.https = createHttpsServer({ cert: cert.cert, key: cert.key, minVersion: 'TLSv1.2' }, api);
    this.https.keepAliveTimeout = KEEP_ALIVE_MS;
    this.https.headersTimeout = KEEP_ALIVE_MS + 5_000;
    this.http = createHttpServer(createHttpApp(this.metrics.registry, checks));
    await listen(this.https, config.securePort, host);
    await listen(this.http, config.httpPort, host);
    if (access.mode === 'standalone') {
      const server = `https://${host === '0.0.0.0' ? '127.0.0.1' : host}:${this.securePort}`;
      this.kubeconfigPath = writeStandaloneKubeconfig(config.localDir, server, cert.cert);
    }
    log.info({ mode: access.mode, securePort: this.securePort, httpPort: this.httpPort, host, kubeconfig: this.kubeconfigPath }, 'serving');
    for (const p of this.pollers) void p.start();
    if (this.objects) void this.objects.start().catch((err) => log.error({ err: String(err) }, 'object watch failed'));
  }

  async stop(): Promise<void> {
    await Promise.all([close(this.https), close(this.http)]);
    await Promise.all(this.pollers.map((p) => p.stop()));
    await this.objects?.stop();
  }

  private readinessChecks(): ReadinessCheck[] {
    const checks: ReadinessCheck[] = [{ name: 'first-poll', ready: () => this.store.allPolledOnce() }];
    const objects = this.objects;
    if (objects) checks.push({ name: 'object-watch', ready: () => objects.synced });
    return checks;
  }

  private async servingCert(host: string): Promise<ServingCert> {
    const { config } = this.opts;
    if (config.tlsCertFile && config.tlsPrivateKeyFile) return readServingCert(config.tlsCertFile, config.tlsPrivateKeyFile);
    const ns = process.env.POD_NAMESPACE ?? 'ai-metrics-adapter';
    const ips = ['127.0.0.1', ...(host !== '0.0.0.0' && host !== '127.0.0.1' ? [host] : [])];
    return selfSignedCert(['localhost', `ai-metrics-adapter.${ns}.svc`], ips);
  }
}

function listen(server: HttpServer | HttpsServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: HttpServer | HttpsServer | undefined): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
