/**
 * Every certificate the control plane needs, made with the openssl CLI (Debian OpenSSL 3):
 * ECDSA P-256 keys (fast to generate; Go and Node accept them), SHA-256 signatures, SANs and
 * EKUs on every leaf (Go verifies SANs only). The service-account key pair is RSA 2048, the
 * kind kube-apiserver's docs use.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const OPENSSL = process.env.OPENSSL ?? 'openssl';
const DAYS = '3650';

export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

export interface CertificateAuthority extends KeyPair {
  /** Name used for the files: `<dir>/<name>.crt|.key`. */
  readonly name: string;
}

export interface Pki {
  readonly dir: string;
  /** Signs the apiserver serving cert and every client cert (`--client-ca-file`). */
  readonly ca: CertificateAuthority;
  /** `--requestheader-client-ca-file`; kept apart from the client CA as upstream advises. */
  readonly frontProxyCa: CertificateAuthority;
  /** `--proxy-client-cert-file`, CN `front-proxy-client` (= `--requestheader-allowed-names`). */
  readonly frontProxyClient: KeyPair;
  /** Serves https://127.0.0.1 and https://localhost (also kubernetes.default.svc). */
  readonly apiserver: KeyPair;
  /** CN admin, O system:masters. */
  readonly admin: KeyPair;
  /** CN system:kube-controller-manager, no group: the bootstrap RBAC binding applies (as kubeadm). */
  readonly controllerManager: KeyPair;
  /** Service-account signing key (private, PKCS#8 PEM) and its public key. */
  readonly serviceAccount: { readonly key: string; readonly pub: string };
}

export interface LeafOptions {
  readonly commonName: string;
  readonly organizations?: readonly string[];
  readonly dnsNames?: readonly string[];
  readonly ips?: readonly string[];
  readonly usage: 'server' | 'client' | 'both';
}

/** A self-signed CA in `<dir>/<name>.crt|.key`. */
export async function createCa(dir: string, name: string, commonName: string): Promise<CertificateAuthority> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await openssl(['req', '-x509', '-new', ...ecKey(key), '-days', DAYS, '-sha256', '-subj', `/CN=${commonName}`, '-out', cert,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature']);
  return { name, cert, key };
}

/** A leaf certificate signed by `ca`, in `<dir>/<name>.crt|.key`. */
export async function issueCert(dir: string, name: string, ca: CertificateAuthority, options: LeafOptions): Promise<KeyPair> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  const subject = [...(options.organizations ?? []).map((o) => `/O=${o}`), `/CN=${options.commonName}`].join('');
  const eku = { server: 'serverAuth', client: 'clientAuth', both: 'serverAuth,clientAuth' }[options.usage];
  const sans = [...(options.dnsNames ?? []).map((d) => `DNS:${d}`), ...(options.ips ?? []).map((ip) => `IP:${ip}`)];
  const lines = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', `extendedKeyUsage=${eku}`];
  if (sans.length > 0) lines.push(`subjectAltName=${sans.join(',')}`);
  writeFileSync(ext, lines.join('\n') + '\n');
  await openssl(['req', '-new', ...ecKey(key), '-subj', subject, '-out', csr]);
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', randomSerial(), '-days', DAYS,
    '-sha256', '-extfile', ext, '-out', cert]);
  return { cert, key };
}

/** The whole control-plane PKI in `dir` (which must exist). About a second. */
export async function createPki(dir: string): Promise<Pki> {
  const [ca, frontProxyCa] = await Promise.all([
    createCa(dir, 'ca', 'ai-metrics-adapter-e2e-ca'),
    createCa(dir, 'front-proxy-ca', 'ai-metrics-adapter-e2e-front-proxy-ca'),
  ]);
  const saKey = join(dir, 'sa.key');
  const saPub = join(dir, 'sa.pub');
  const [apiserver, admin, controllerManager, frontProxyClient] = await Promise.all([
    issueCert(dir, 'apiserver', ca, {
      commonName: 'kube-apiserver',
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
      ips: ['127.0.0.1', '::1', '10.96.0.1'],
      usage: 'server',
    }),
    issueCert(dir, 'admin', ca, { commonName: 'admin', organizations: ['system:masters'], usage: 'client' }),
    issueCert(dir, 'kube-controller-manager', ca, { commonName: 'system:kube-controller-manager', usage: 'client' }),
    issueCert(dir, 'front-proxy-client', frontProxyCa, { commonName: 'front-proxy-client', usage: 'client' }),
    (async () => {
      await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', saKey]);
      await openssl(['pkey', '-in', saKey, '-pubout', '-out', saPub]);
    })(),
  ]);
  return { dir, ca, frontProxyCa, frontProxyClient, apiserver, admin, controllerManager, serviceAccount: { key: saKey, pub: saPub } };
}

export function readPem(path: string): string {
  return readFileSync(path, 'utf8');
}

function ecKey(keyOut: string): string[] {
  return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyOut];
}

function randomSerial(): string {
  // 127 bits, positive and never starting with a zero byte.
  return '0x4' + randomBytes(15).toString('hex');
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run(OPENSSL, args, { timeout: 30_000 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}
