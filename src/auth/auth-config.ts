import { readFile } from 'node:fs/promises';
import type { X509Certificate } from 'node:crypto';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../util/errors.js';
import { parsePemBundle } from './cert-chain.js';

/**
 * The delegated authentication settings: front-proxy (request header) CA, allowed names and
 * header names, and the CA for direct client certificates. They come from the ConfigMap
 * kube-system/extension-apiserver-authentication that kube-apiserver maintains, and from
 * the --client-ca-file / --requestheader-client-ca-file files; all are re-read periodically
 * so a rotated CA is picked up without a restart.
 */

export const AUTH_CONFIGMAP = { namespace: 'kube-system', name: 'extension-apiserver-authentication' } as const;

/** Front-proxy settings; header names are lower case. */
export interface RequestHeaderConfig {
  readonly roots: readonly X509Certificate[];
  /** Empty: any certificate the roots verify may assert a user. */
  readonly allowedNames: readonly string[];
  readonly usernameHeaders: readonly string[];
  readonly uidHeaders: readonly string[];
  readonly groupHeaders: readonly string[];
  readonly extraHeaderPrefixes: readonly string[];
}

export interface AuthSnapshot {
  /** Absent: front-proxy authentication is off (no request header CA known). */
  readonly requestHeader?: RequestHeaderConfig;
  /** CAs for direct client certificates (user = CN, groups = O). */
  readonly clientCAs: readonly X509Certificate[];
  /** PEM of every CA a client certificate may chain to: what the TLS handshake asks clients for. */
  readonly acceptedCaPem: string;
}

/** ConfigMap data, or undefined when the ConfigMap does not exist. */
export type ConfigMapReader = () => Promise<Readonly<Record<string, string>> | undefined>;

export interface AuthConfigOptions {
  /** Absent: no in-cluster lookup. */
  readonly readConfigMap?: ConfigMapReader;
  readonly clientCaFile?: string;
  /** When set, front-proxy settings come from this file and the flags, not from the ConfigMap (as in Go). */
  readonly requestHeaderCaFile?: string;
  readonly requestHeaderAllowedNames?: readonly string[];
  readonly refreshMs: number;
  readonly log: Logger;
}

/** Go's defaults for the --requestheader-* header flags. */
const DEFAULT_HEADERS = { username: ['x-remote-user'], group: ['x-remote-group'], extra: ['x-remote-extra-'] };

const RETRY_UNTIL_LOADED_MS = 5_000;

const EMPTY: AuthSnapshot = { clientCAs: [], acceptedCaPem: '' };

interface Inputs {
  readonly configMap?: Readonly<Record<string, string>>;
  readonly clientCaPem: string;
  readonly requestHeaderCaPem: string;
}

export class AuthConfigSource {
  private snapshot: AuthSnapshot = EMPTY;
  private signature = '';
  private loadedOnce = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly listeners: ((s: AuthSnapshot) => void)[] = [];

  constructor(private readonly opts: AuthConfigOptions) {}

  current(): AuthSnapshot {
    return this.snapshot;
  }

  /** True once every configured input has been read successfully at least once. */
  get loaded(): boolean {
    return this.loadedOnce;
  }

  onChange(listener: (s: AuthSnapshot) => void): void {
    this.listeners.push(listener);
  }

  /**
   * First read (failures are logged, not thrown: readiness reports them), then periodic
   * re-reads; until a first read succeeds, retries come every few seconds.
   */
  async start(): Promise<void> {
    this.stopped = false;
    await this.refresh();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.loadedOnce ? this.opts.refreshMs : Math.min(this.opts.refreshMs, RETRY_UNTIL_LOADED_MS);
    this.timer = setTimeout(() => void this.refresh().finally(() => this.schedule()), delay);
    this.timer.unref();
  }

  async refresh(): Promise<boolean> {
    let inputs: Inputs;
    try {
      inputs = await this.readInputs();
    } catch (err) {
      this.opts.log.error({ err: errorMessage(err), loaded: this.loadedOnce }, 'reading the authentication configuration failed');
      return false;
    }
    const signature = JSON.stringify(inputs);
    if (signature !== this.signature) {
      let next: AuthSnapshot;
      try {
        next = this.build(inputs);
      } catch (err) {
        this.opts.log.error({ err: errorMessage(err) }, 'authentication configuration is invalid; keeping the previous one');
        return false;
      }
      this.snapshot = next;
      this.signature = signature;
      this.opts.log.info(
        {
          frontProxy: next.requestHeader !== undefined,
          frontProxyCAs: next.requestHeader?.roots.length ?? 0,
          allowedNames: next.requestHeader?.allowedNames,
          clientCAs: next.clientCAs.length,
        },
        'authentication configuration loaded',
      );
      for (const l of this.listeners) l(next);
    }
    this.loadedOnce = true;
    return true;
  }

  private async readInputs(): Promise<Inputs> {
    const { readConfigMap, clientCaFile, requestHeaderCaFile } = this.opts;
    const [configMap, clientCaPem, requestHeaderCaPem] = await Promise.all([
      readConfigMap ? readConfigMap() : Promise.resolve(undefined),
      clientCaFile ? readFile(clientCaFile, 'utf8') : Promise.resolve(''),
      requestHeaderCaFile ? readFile(requestHeaderCaFile, 'utf8') : Promise.resolve(''),
    ]);
    if (readConfigMap && configMap === undefined) {
      this.opts.log.warn(AUTH_CONFIGMAP, 'ConfigMap extension-apiserver-authentication not found: front-proxy authentication is off');
    }
    return { configMap, clientCaPem, requestHeaderCaPem };
  }

  private build(inputs: Inputs): AuthSnapshot {
    const cm = inputs.configMap ?? {};
    const clientCAs = [...parsePemBundle(inputs.clientCaPem), ...parsePemBundle(cm['client-ca-file'] ?? '')];
    const requestHeader = this.opts.requestHeaderCaFile
      ? {
          roots: parsePemBundle(inputs.requestHeaderCaPem),
          allowedNames: [...(this.opts.requestHeaderAllowedNames ?? [])],
          usernameHeaders: DEFAULT_HEADERS.username,
          uidHeaders: [],
          groupHeaders: DEFAULT_HEADERS.group,
          extraHeaderPrefixes: DEFAULT_HEADERS.extra,
        }
      : fromConfigMap(cm);
    const all = [...(requestHeader?.roots ?? []), ...clientCAs];
    const unique = all.filter((c, i) => all.findIndex((o) => o.fingerprint256 === c.fingerprint256) === i);
    return { requestHeader, clientCAs, acceptedCaPem: unique.map((c) => c.toString()).join('') };
  }
}

function fromConfigMap(cm: Readonly<Record<string, string>>): RequestHeaderConfig | undefined {
  const roots = parsePemBundle(cm['requestheader-client-ca-file'] ?? '');
  if (roots.length === 0) return undefined;
  return {
    roots,
    allowedNames: stringList(cm, 'requestheader-allowed-names'),
    usernameHeaders: headerList(cm, 'requestheader-username-headers'),
    // Only trusted when kube-apiserver lists it: older ones do not strip it from incoming requests.
    uidHeaders: headerList(cm, 'requestheader-uid-headers'),
    groupHeaders: headerList(cm, 'requestheader-group-headers'),
    extraHeaderPrefixes: headerList(cm, 'requestheader-extra-headers-prefix'),
  };
}

/** A JSON string array value; absent or empty is []. */
function stringList(cm: Readonly<Record<string, string>>, key: string): string[] {
  const raw = cm[key];
  if (raw === undefined || raw === '') return [];
  const parsed: unknown = JSON.parse(raw);
  if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string')) throw new Error(`${key}: not a JSON list of strings`);
  return parsed;
}

function headerList(cm: Readonly<Record<string, string>>, key: string): string[] {
  return stringList(cm, key)
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
}
