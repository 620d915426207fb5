/**
 * A small HTTPS server that plays kube-apiserver for the adapter in cluster mode: the
 * extension-apiserver-authentication ConfigMap, TokenReview and SubjectAccessReview (all
 * recorded), and empty-ish pod/node lists with watches that stay open.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { makeCa, makeLeaf, type Pem } from './x509.js';

export interface ReviewUser {
  readonly username: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
  readonly extra?: Record<string, readonly string[]>;
}

export interface SarSpecRecord {
  readonly resourceAttributes?: Record<string, string>;
  readonly nonResourceAttributes?: Record<string, string>;
  readonly user?: string;
  readonly groups?: string[];
  readonly extra?: Record<string, string[]>;
  readonly uid?: string;
}

export interface PodFixture {
  readonly namespace: string;
  readonly name: string;
  readonly labels?: Record<string, string>;
}

const ADAPTER_TOKEN = 'adapter-service-account-token';

export class FakeKubeApiServer {
  /** ConfigMap data; undefined answers 404. */
  configMap: Record<string, string> | undefined;
  /** Answer the ConfigMap GET with this status instead (e.g. 403). */
  configMapStatus: number | undefined;
  readonly tokens = new Map<string, ReviewUser>();
  /** Answer TokenReviews with this error status instead (e.g. 503: the review cannot be made). */
  tokenReviewStatus: number | undefined;
  /** Decides SubjectAccessReviews; default: deny with a reason. */
  sarPolicy: (spec: SarSpecRecord) => { allowed: boolean; reason?: string } = () => ({ allowed: false, reason: 'no RBAC policy matched' });
  pods: PodFixture[] = [];
  readonly subjectAccessReviews: SarSpecRecord[] = [];
  readonly tokenReviews: string[] = [];
  configMapGets = 0;
  /** Requests that did not carry the adapter's own token. */
  readonly unauthenticatedCalls: string[] = [];
  /** Pod and node lists and watches, as `GET /api/v1/pods` or `WATCH /api/v1/pods`. */
  readonly objectRequests: string[] = [];

  private constructor(
    private readonly server: Server,
    private readonly ca: Pem,
  ) {}

  static async start(): Promise<FakeKubeApiServer> {
    const ca = await makeCa('fake-kube-apiserver-ca');
    const serving = await makeLeaf({ cn: 'kube-apiserver', issuer: ca, usage: 'server', dnsNames: ['localhost'], ips: ['127.0.0.1'] });
    const holder: { self?: FakeKubeApiServer } = {};
    const server = createServer({ cert: serving.cert, key: serving.key }, (req, res) => holder.self?.handle(req, res));
    const self = (holder.self = new FakeKubeApiServer(server, ca));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  get url(): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A kubeconfig for the adapter: this server, its CA, a service-account-like token. */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, caData: Buffer.from(this.ca.cert).toString('base64'), skipTLSVerify: false }],
      users: [{ name: 'adapter', token: ADAPTER_TOKEN }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'adapter' }],
      currentContext: 'fake',
    });
    return kc;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://x');
    if (req.headers.authorization !== `Bearer ${ADAPTER_TOKEN}`) {
      this.unauthenticatedCalls.push(`${req.method} ${url.pathname}`);
      return json(res, 401, status(401, 'Unauthorized'));
    }
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication') {
      this.configMapGets++;
      if (this.configMapStatus) return json(res, this.configMapStatus, status(this.configMapStatus, 'configmap is not available'));
      if (!this.configMap) return json(res, 404, status(404, 'configmaps "extension-apiserver-authentication" not found'));
      return json(res, 200, {
        kind: 'ConfigMap', apiVersion: 'v1',
        metadata: { name: 'extension-apiserver-authentication', namespace: 'kube-system', resourceVersion: String(this.configMapGets) },
        data: this.configMap,
      });
    }
    if (route === 'POST /apis/authentication.k8s.io/v1/tokenreviews') {
      return void body(req).then((b) => {
        const token = (b as { spec?: { token?: string } }).spec?.token ?? '';
        this.tokenReviews.push(token);
        if (this.tokenReviewStatus) return json(res, this.tokenReviewStatus, status(this.tokenReviewStatus, 'tokenreviews are not available'));
        const user = this.tokens.get(token);
        json(res, 201, {
          kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', spec: { token },
          status: user ? { authenticated: true, user: { username: user.username, uid: user.uid, groups: user.groups, extra: user.extra } } : { authenticated: false, error: 'token not found' },
        });
      });
    }
    if (route === 'POST /apis/authorization.k8s.io/v1/subjectaccessreviews') {
      return void body(req).then((b) => {
        const spec = (b as { spec: SarSpecRecord }).spec;
        this.subjectAccessReviews.push(spec);
        let decision: { allowed: boolean; reason?: string };
        try {
          decision = this.sarPolicy(spec);
        } catch (err) {
          return json(res, 500, status(500, `policy failed: ${String(err)}`));
        }
        json(res, 201, { kind: 'SubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', spec, status: decision });
      });
    }
    if (route === 'GET /api/v1/pods' || route === 'GET /api/v1/nodes') {
      this.objectRequests.push(`${url.searchParams.get('watch') === 'true' ? 'WATCH' : 'GET'} ${url.pathname}`);
      if (url.searchParams.get('watch') === 'true') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        return; // an open watch with no events
      }
      const items =
        url.pathname === '/api/v1/pods'
          ? this.pods.map((p) => ({ metadata: { name: p.name, namespace: p.namespace, labels: p.labels ?? {}, resourceVersion: '1' } }))
          : [];
      return json(res, 200, { kind: url.pathname.endsWith('pods') ? 'PodList' : 'NodeList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items });
    }
    json(res, 404, status(404, 'the server could not find the requested resource'));
  }
}

function status(code: number, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code };
}

function json(res: ServerResponse, code: number, value: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

function body(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(err as Error);
      }
    });
  });
}
