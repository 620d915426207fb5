import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Config } from '../config/index.js';
import type { ClusterAccess, LiveObjects } from '../kube/index.js';
import { StoreProvider } from '../provider/index.js';
import { MetricStore, Poller } from '../store/index.js';
import { createApiHandler, resolveResource, selfSignedCert, ServingTls, type ServingCert, type ReadinessCheck } from '../apiserver/index.js';
import type { DelegatedAuth } from '../auth/index.js';
import { SelfMetrics, createHttpApp, registerQueueExporter } from '../exporter/index.js';
import { writeStandaloneKubeconfig } from '../cli/standalone.js';
import { KedaGrpcServer, type ScalerTls } from '../keda/index.js';
import { BullmqSource } from '../sources/bullmq.js';
import type { Logger } from '../util/log.js';
import { standaloneRestRouter, type PolicyFrontEnds } from '../policies/index.js';
import { buildCatalog } from './catalog.js';
import { buildSources } from './sources.js';

/** Go's HTTP client keeps idle connections 90 s; ours must outlive that or the aggregator sees resets. */
const KEEP_ALIVE_MS = 120_000;

export interface AdapterOptions {
  readonly config: Config;
  readonly access: ClusterAccess;
  readonly log: Logger;
}

/** The running `serve` process: store, pollers, object watch, the two HTTP listeners and the KEDA gRPC scaler. */
export class Adapter {
  readonly store: MetricStore;
  readonly metrics: SelfMetrics;
  private readonly pollers: Poller[];
  private objects?: LiveObjects;
  /** REST autoscaler API and AIInferenceAutoscalerPolicy controller (cluster mode). */
  private policies?: PolicyFrontEnds;
  private https?: HttpsServer;
  private http?: HttpServer;
  private grpc?: KedaGrpcServer;
  /** Cluster mode: delegated authentication and authorization. */
  private auth?: DelegatedAuth;
  private tls?: ServingTls;
  /** BullMQ sources, whose queues KEDA push streams watch. */
  private readonly queueSources: BullmqSource[];
  /** Where standalone mode wrote its kubeconfig. */
  kubeconfigPath?: string;

  constructor(private readonly opts: AdapterOptions) {
    const { config, log } = opts;
    this.store = new MetricStore(buildCatalog(config));
    this.metrics = new SelfMetrics(this.store);
    registerQueueExporter(this.store, this.metrics.registry);
    const planned = buildSources(config, log, this.store);
    this.queueSources = planned.map((p) => p.source).filter((s): s is BullmqSource => s instanceof BullmqSource);
    this.pollers = planned.map(
      ({ source, poll }) => new Poller(source, this.store, poll, log.child({ component: 'poller' }), this.metrics),
    );
  }

  get securePort(): number {
    return (this.https?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** PEM of the certificate the HTTPS listener presents now. */
  get servingCertPem(): string {
    return this.tls?.cert.cert ?? '';
  }

  get httpPort(): number {
    return (this.http?.address() as AddressInfo | null)?.port ?? 0;
  }

  get grpcPort(): number {
    return this.grpc?.port ?? 0;
  }

  /** Listens first (discovery must answer at once), then starts polling and watching. */
  async start(): Promise<void> {
    const { config, access, log } = this.opts;
    if (access.mode === 'cluster') await this.createClusterParts(access.kubeConfig);
    const host = config.bindAddress ?? (access.mode === 'standalone' ? '127.0.0.1' : '0.0.0.0');
    const tls = (this.tls = await ServingTls.load({
      certFile: config.tlsCertFile, keyFile: config.tlsPrivateKeyFile, selfSigned: () => this.selfSignedCert(host), log: log.child({ component: 'tls' }),
    }));
    // Before listening, so the aggregator's first probe already finds the front-proxy CA.
    await this.auth?.start();
    const provider = new StoreProvider({ store: this.store, resolveResource, objects: this.objects });
    const checks = this.readinessChecks();
    const api = createApiHandler({
      custom: provider, external: provider, validity: provider, checks, metrics: this.metrics, auth: this.auth?.middleware, log: log.child({ component: 'api' }),
    });
    this.https = createHttpsServer(tls.serverOptions(this.auth !== undefined), api);
    tls.attach(this.https);
    this.auth?.onAcceptedCAs((pem) => tls.setClientCAs(pem));
    this.https.keepAliveTimeout = KEEP_ALIVE_MS;
    this.https.headersTimeout = KEEP_ALIVE_MS + 5_000;
    this.http = createHttpServer(createHttpApp(this.metrics.registry, checks, this.policies?.router ?? standaloneRestRouter()));
    await listen(this.https, config.securePort, host);
    await listen(this.http, config.httpPort, host);
    this.grpc = new KedaGrpcServer({
      store: this.store, provider, queueSources: this.queueSources, tls: grpcTls(config),
      ready: () => checks.every((c) => c.ready()), registry: this.metrics.registry, log: log.child({ component: 'keda' }),
    });
    await this.grpc.start(host, config.grpcPort);
    if (access.mode === 'standalone') {
      const server = `https://${host === '0.0.0.0' ? '127.0.0.1' : host}:${this.securePort}`;
      this.kubeconfigPath = writeStandaloneKubeconfig(config.localDir, server, tls.cert.cert);
    }
    log.info({ mode: access.mode, securePort: this.securePort, httpPort: this.httpPort, grpcPort: this.grpcPort, host, kubeconfig: this.kubeconfigPath }, 'serving');
    for (const p of this.pollers) void p.start();
    if (this.objects) void this.objects.start().catch((err) => log.error({ err: String(err) }, 'object watch failed'));
    void this.policies?.start().catch((err) => log.error({ err: String(err) }, 'policy controller failed'));
  }

  async stop(): Promise<void> {
    this.auth?.stop();
    this.tls?.stop();
    await Promise.all([close(this.https), close(this.http), this.grpc?.stop()]);
    await Promise.all([...this.pollers.map((p) => p.stop()), this.policies?.stop()]);
    await this.objects?.stop();
  }

  /**
   * Pod watch, delegated auth and the policy front-ends. Their modules are imported here, not at
   * the top: they load @kubernetes/client-node, ~70 MB of RSS that standalone mode never uses.
   */
  private async createClusterParts(kc: KubeConfig): Promise<void> {
    const { config, access, log } = this.opts;
    const [{ LiveObjects }, { DelegatedAuth }, { PolicyFrontEnds }] = await Promise.all([
      import('../kube/live-objects.js'),
      import('../auth/index.js'),
      import('../policies/front-ends.js'),
    ]);
    this.objects = new LiveObjects(kc, log.child({ component: 'kube' }));
    this.auth = DelegatedAuth.forCluster(kc, config.auth, log.child({ component: 'auth' }));
    this.policies = new PolicyFrontEnds({ config, access, store: this.store, objects: this.objects, log, observer: this.metrics });
  }

  private readinessChecks(): ReadinessCheck[] {
    const checks: ReadinessCheck[] = [{ name: 'first-poll', ready: () => this.store.allPolledOnce() }];
    const objects = this.objects;
    if (objects) checks.push({ name: 'object-watch', ready: () => objects.synced });
    const auth = this.auth;
    if (auth) checks.push({ name: 'authentication-config', ready: () => auth.ready });
    return checks;
  }

  /** Valid for the Service name the aggregator dials (`<service>.<namespace>.svc`) and for loopback. */
  private selfSignedCert(host: string): Promise<ServingCert> {
    const { serviceName: svc, serviceNamespace } = this.opts.config;
    const ns = serviceNamespace ?? process.env.POD_NAMESPACE ?? 'ai-metrics-adapter';
    const ips = ['127.0.0.1', ...(host !== '0.0.0.0' && host !== '127.0.0.1' ? [host] : [])];
    return selfSignedCert([`${svc}.${ns}.svc`, `${svc}.${ns}.svc.cluster.local`, `${svc}.${ns}`, svc, 'localhost'], ips);
  }
}

function grpcTls(config: Config): ScalerTls | undefined {
  const { grpcTlsCertFile: certFile, grpcTlsKeyFile: keyFile, grpcClientCaFile: clientCaFile } = config;
  if (certFile === undefined || keyFile === undefined) return undefined;
  return { certFile, keyFile, ...(clientCaFile !== undefined ? { clientCaFile } : {}) };
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
