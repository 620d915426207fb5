/**
 * Loopback HTTP server standing in for dcgm-exporter (`/dcgm`), a kubelet's
 * `/metrics/cadvisor` (`/cadvisor`) and an application's /metrics (`/app`). Tests change the
 * values through `state` and make any route hang or fail through `behave()`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  defaultContainers,
  defaultCounters,
  defaultGauges,
  defaultGpus,
  defaultLatency,
  renderApp,
  renderCadvisor,
  renderCounters,
  renderDcgm,
  type ContainerIoFixture,
  type CounterFixture,
  type DcgmPodLabels,
  type GaugeFixture,
  type GpuFixture,
  type LatencyFixture,
} from './fixture-text.js';

export type FixtureRoute = '/dcgm' | '/cadvisor' | '/app';

/** `hang`: accept the request and never answer; `status`: answer that code with a short body. */
export type Behaviour =
  | { readonly kind: 'ok' }
  | { readonly kind: 'hang' }
  | { readonly kind: 'status'; readonly status: number };

export interface FixtureState {
  gpus: GpuFixture[];
  dcgmLabels: DcgmPodLabels;
  containers: ContainerIoFixture[];
  latency: LatencyFixture[];
  gauges: GaugeFixture[];
  /** Extra counter families on /app. */
  counters: CounterFixture[];
}

export class FixtureServer {
  readonly state: FixtureState = {
    gpus: defaultGpus(),
    dcgmLabels: { pod: 'pod', namespace: 'namespace', container: 'container' },
    containers: defaultContainers(),
    latency: defaultLatency(),
    gauges: defaultGauges(),
    counters: defaultCounters(),
  };
  /** Counters are measured from here. */
  readonly t0Ms = Date.now();
  private readonly behaviours = new Map<FixtureRoute, Behaviour>();
  private readonly hits = new Map<FixtureRoute, number>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<FixtureServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const fixture = new FixtureServer(server, (server.address() as AddressInfo).port);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => fixture.handle(req, res));
    return fixture;
  }

  url(route: FixtureRoute): string {
    return `http://127.0.0.1:${this.port}${route}`;
  }

  behave(route: FixtureRoute, behaviour: Behaviour): void {
    this.behaviours.set(route, behaviour);
  }

  /** Requests served (or held) on `route` so far. */
  requests(route: FixtureRoute): number {
    return this.hits.get(route) ?? 0;
  }

  /** Closes the listener and drops every connection, hanging ones included. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const route = (req.url ?? '').split('?')[0] as FixtureRoute;
    const body = this.render(route);
    if (body === undefined) {
      res.writeHead(404).end('not found\n');
      return;
    }
    this.hits.set(route, this.requests(route) + 1);
    const b = this.behaviours.get(route) ?? { kind: 'ok' };
    if (b.kind === 'hang') return; // left open until the client gives up or close()
    if (b.kind === 'status') {
      res.writeHead(b.status, { 'content-type': 'text/plain' }).end(`fixture failure ${b.status}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
  }

  private render(route: string): string | undefined {
    const s = this.state;
    const now = Date.now();
    if (route === '/dcgm') return renderDcgm(s.gpus, s.dcgmLabels);
    if (route === '/cadvisor') return renderCadvisor(s.containers, this.t0Ms, now);
    if (route === '/app') return renderApp(s.latency, s.gauges, this.t0Ms, now) + renderCounters(s.counters, this.t0Ms, now);
    return undefined;
  }
}
