import type { RequestHandler } from 'express';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../util/log.js';
import { AuthConfigSource, type AuthSnapshot } from './auth-config.js';
import { DelegatingAuthenticator } from './authenticator.js';
import { kubeAuthApi, type KubeAuthApi } from './kube-reviews.js';
import { authMiddleware } from './middleware.js';
import { SarAuthorizer } from './subject-access-review.js';
import { TokenAuthenticator } from './token-review.js';

/** The `auth` section of the configuration. */
export interface AuthSettings {
  readonly clientCaFile?: string;
  readonly requestheaderClientCaFile?: string;
  readonly requestheaderAllowedNames?: readonly string[];
  readonly configMapRefreshSeconds: number;
  readonly tokenCacheSeconds: number;
  readonly allowCacheSeconds: number;
  readonly denyCacheSeconds: number;
}

/**
 * Delegated authentication and authorization for cluster mode, as a Go aggregated API server
 * does them: identities from the front proxy, client certificates and TokenReview;
 * decisions from SubjectAccessReview; settings from kube-system/extension-apiserver-authentication.
 */
export class DelegatedAuth {
  readonly middleware: RequestHandler;
  private readonly source: AuthConfigSource;

  static forCluster(kc: KubeConfig, settings: AuthSettings, log: Logger): DelegatedAuth {
    return new DelegatedAuth(kubeAuthApi(kc), settings, log);
  }

  constructor(api: KubeAuthApi, settings: AuthSettings, log: Logger) {
    this.source = new AuthConfigSource({
      readConfigMap: api.readAuthConfigMap,
      clientCaFile: settings.clientCaFile,
      requestHeaderCaFile: settings.requestheaderClientCaFile,
      requestHeaderAllowedNames: settings.requestheaderAllowedNames,
      refreshMs: settings.configMapRefreshSeconds * 1000,
      log,
    });
    const tokens = new TokenAuthenticator(api.tokenReview, settings.tokenCacheSeconds * 1000);
    const authenticator = new DelegatingAuthenticator(() => this.source.current(), tokens);
    const authorizer = new SarAuthorizer(api.subjectAccessReview, settings.allowCacheSeconds * 1000, settings.denyCacheSeconds * 1000);
    this.middleware = authMiddleware({ authenticator, authorizer, log });
  }

  /** Reads the configuration once (a failure shows in readiness, not as an exception), then keeps it fresh. */
  start(): Promise<void> {
    return this.source.start();
  }

  stop(): void {
    this.source.stop();
  }

  /** Readiness: the authentication configuration has been read. */
  get ready(): boolean {
    return this.source.loaded;
  }

  /** PEM of the CAs client certificates may chain to, now and after every change. */
  onAcceptedCAs(listener: (pem: string) => void): void {
    listener(this.source.current().acceptedCaPem);
    this.source.onChange((s: AuthSnapshot) => listener(s.acceptedCaPem));
  }
}
