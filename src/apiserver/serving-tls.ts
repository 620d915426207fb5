import { createHash, X509Certificate } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Server as HttpsServer, ServerOptions } from 'node:https';
import { createSecureContext } from 'node:tls';
import type { Logger } from '../util/log.js';
import { errorMessage } from '../util/errors.js';
import type { ServingCert } from './tls.js';

export interface ServingTlsOptions {
  /** Both or neither; without them `selfSigned` makes the certificate. */
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly selfSigned: () => Promise<ServingCert>;
  readonly log: Logger;
  /** Backstop re-read when no file event arrives (e.g. on filesystems without inotify). */
  readonly pollMs?: number;
}

const MIN_VERSION = 'TLSv1.2';
const DEBOUNCE_MS = 100;

/**
 * The HTTPS listener's TLS material: the serving certificate (re-read when its files change,
 * e.g. a cert-manager renewal, and swapped in with setSecureContext, so the next handshake
 * presents it with no restart) and the CAs whose names are sent when asking clients for a
 * certificate. A half-written or mismatched pair is ignored until a later read is consistent.
 */
export class ServingTls {
  private current: ServingCert;
  private clientCaPem = '';
  private server?: HttpsServer;
  private watchers: FSWatcher[] = [];
  private poll?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  private lastRejected = '';
  private requestClientCert = false;

  private constructor(
    private readonly opts: ServingTlsOptions,
    cert: ServingCert,
  ) {
    this.current = cert;
  }

  static async load(opts: ServingTlsOptions): Promise<ServingTls> {
    if (opts.certFile && opts.keyFile) {
      const [cert, key] = await Promise.all([readFile(opts.certFile, 'utf8'), readFile(opts.keyFile, 'utf8')]);
      createSecureContext({ cert, key }); // fail start-up on a bad pair, with Node's reason
      return new ServingTls(opts, { cert, key, selfSigned: false });
    }
    return new ServingTls(opts, await opts.selfSigned());
  }

  get cert(): ServingCert {
    return this.current;
  }

  /** Options for https.createServer; `requestClientCert` asks every client for a certificate (checked by the app). */
  serverOptions(requestClientCert: boolean): ServerOptions {
    this.requestClientCert = requestClientCert;
    return this.contextOptions();
  }

  /** Starts following the certificate files (if any) for `server`. */
  attach(server: HttpsServer): void {
    this.server = server;
    const { certFile, keyFile } = this.opts;
    if (!certFile || !keyFile) return;
    for (const dir of new Set([dirname(certFile), dirname(keyFile)])) {
      try {
        const w = watch(dir, () => this.scheduleReload());
        w.on('error', (err) => this.opts.log.warn({ dir, err: errorMessage(err) }, 'certificate directory watch failed; polling only'));
        w.unref();
        this.watchers.push(w);
      } catch (err) {
        this.opts.log.warn({ dir, err: errorMessage(err) }, 'cannot watch certificate directory; polling only');
      }
    }
    this.poll = setInterval(() => void this.reload(), this.opts.pollMs ?? 60_000);
    this.poll.unref();
  }

  /** The CAs client certificates may chain to ('' = none known yet). */
  setClientCAs(pem: string): void {
    if (pem === this.clientCaPem) return;
    this.clientCaPem = pem;
    this.apply();
  }

  /** Re-reads the files; true when a new certificate was installed. */
  async reload(): Promise<boolean> {
    const { certFile, keyFile, log } = this.opts;
    if (!certFile || !keyFile) return false;
    let cert: string;
    let key: string;
    try {
      [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
    } catch (err) {
      log.warn({ certFile, keyFile, err: errorMessage(err) }, 'cannot read serving certificate; keeping the current one');
      return false;
    }
    if (cert === this.current.cert && key === this.current.key) return false;
    try {
      createSecureContext({ cert, key });
    } catch (err) {
      const id = digest(cert + key);
      if (id !== this.lastRejected) log.warn({ certFile, keyFile, err: errorMessage(err) }, 'serving certificate and key do not match (yet); keeping the current one');
      this.lastRejected = id;
      return false;
    }
    this.current = { cert, key, selfSigned: false };
    this.apply();
    const leaf = new X509Certificate(cert);
    log.info({ certFile, subject: leaf.subject, notAfter: leaf.validTo, fingerprint: leaf.fingerprint256 }, 'serving certificate reloaded');
    return true;
  }

  stop(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
    clearInterval(this.poll);
    clearTimeout(this.debounce);
  }

  private scheduleReload(): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.reload(), DEBOUNCE_MS);
    this.debounce.unref();
  }

  private apply(): void {
    this.server?.setSecureContext(this.contextOptions());
  }

  /** setSecureContext re-reads requestCert and rejectUnauthorized too, so they travel with the context. */
  private contextOptions(): ServerOptions {
    return {
      ...(this.requestClientCert ? { requestCert: true, rejectUnauthorized: false } : {}),
      cert: this.current.cert,
      key: this.current.key,
      minVersion: MIN_VERSION,
      // Without CAs Node sends no names at all (not its default root store).
      ...(this.clientCaPem === '' ? {} : { ca: this.clientCaPem }),
    };
  }
}

function digest(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}
