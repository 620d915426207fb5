/**
 * Redis endpoint URLs for the BullMQ source (pure).
 *
 * Accepted: `redis://[user[:pass]@]host[:port][/db]` and `rediss://` (TLS) for one server;
 * `redis-cluster://[user[:pass]@]host:port[,host:port…]` and `rediss-cluster://` for a Redis
 * Cluster given by its seed nodes. A plain `redis://` URL with several comma-separated
 * hosts is a cluster too (one server cannot have several addresses), and `cluster: true`
 * makes any URL a cluster. A comma list of whole URLs is NOT a cluster: that is several
 * endpoints, one source each (the CLI splits `--redis-url a,b`).
 */

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface RedisEndpoint {
  readonly cluster: boolean;
  /** The server, or the cluster's seed nodes. */
  readonly nodes: readonly HostPort[];
  readonly username?: string;
  readonly password?: string;
  readonly db: number;
  readonly tls: boolean;
  /** `host:port[,host:port…]`, how error messages name the endpoint. */
  readonly address: string;
  /** The URL without its password, for ids and logs. */
  readonly redacted: string;
}

const URL_RE = /^(rediss?(?:-cluster)?):\/\/(?:([^@/]*)@)?([^/?#]*)(?:\/(\d*))?$/;
const DEFAULT_PORT = 6379;

export function parseEndpoint(url: string, cluster?: boolean): RedisEndpoint {
  const m = URL_RE.exec(url.trim());
  if (!m) throw new Error(`unsupported Redis URL ${JSON.stringify(redactUrl(url))}: ${EXPECTED}`);
  const [, scheme = '', auth, hostList = '', dbText] = m;
  const nodes = hostList.split(',').map(parseHostPort);
  const isCluster = cluster ?? (scheme.endsWith('-cluster') || nodes.length > 1);
  const db = dbText ? Number(dbText) : 0;
  if (!isCluster && nodes.length > 1) throw new Error(`${redactUrl(url)}: several hosts need cluster mode`);
  if (isCluster && db !== 0) throw new Error(`${redactUrl(url)}: Redis Cluster has only database 0`);
  const { username, password } = parseAuth(auth);
  const address = nodes.map((n) => formatHostPort(n)).join(',');
  return {
    cluster: isCluster,
    nodes,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    db,
    tls: scheme.startsWith('rediss'),
    address,
    redacted: redactUrl(url),
  };
}

const EXPECTED =
  'expected redis://, rediss://, redis-cluster:// or rediss-cluster:// ' +
  'followed by [user[:password]@]host[:port][,host:port…][/db]';

/** Drops the password (and a lone `:` before it) from a URL's user info; best effort. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z-]+:\/\/)([^@/]*)@/i, (_all, scheme: string, auth: string) => {
    const user = auth.split(':')[0] ?? '';
    return user ? `${scheme}${user}@` : scheme;
  });
}

function parseAuth(auth: string | undefined): { username?: string; password?: string } {
  if (auth === undefined || auth === '') return {};
  const colon = auth.indexOf(':');
  const user = decodeURIComponent(colon < 0 ? auth : auth.slice(0, colon));
  const pass = colon < 0 ? undefined : decodeURIComponent(auth.slice(colon + 1));
  return { ...(user ? { username: user } : {}), ...(pass ? { password: pass } : {}) };
}

function parseHostPort(text: string): HostPort {
  const m = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d+))?$/.exec(text);
  const port = m?.[2] === undefined ? DEFAULT_PORT : Number(m[2]);
  if (!m?.[1] || port < 1 || port > 65535) throw new Error(`invalid Redis host ${JSON.stringify(text)}`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

function formatHostPort({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
