import { ApiException, AuthenticationV1Api, AuthorizationV1Api, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { AUTH_CONFIGMAP, type ConfigMapReader } from './auth-config.js';
import { ReviewTimeoutError } from './review-errors.js';
import type { SarReviewer } from './subject-access-review.js';
import type { TokenReviewer } from './token-review.js';

/** Go's delegating clients time out reviews after 10 s. */
const DEFAULT_TIMEOUT_MS = 10_000;

export interface KubeAuthApi {
  readonly tokenReview: TokenReviewer;
  readonly subjectAccessReview: SarReviewer;
  readonly readAuthConfigMap: ConfigMapReader;
}

/** TokenReview, SubjectAccessReview and the auth ConfigMap, through kube-apiserver with the adapter's own credentials. */
export function kubeAuthApi(kc: KubeConfig, timeoutMs = DEFAULT_TIMEOUT_MS): KubeAuthApi {
  const authn = kc.makeApiClient(AuthenticationV1Api);
  const authz = kc.makeApiClient(AuthorizationV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  return {
    tokenReview: async (token) => {
      const r = await withTimeout(authn.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } }), timeoutMs, 'tokenreview');
      const u = r.status?.user;
      return {
        authenticated: r.status?.authenticated === true,
        ...(r.status?.error ? { error: r.status.error } : {}),
        ...(u ? { user: { name: u.username ?? '', ...(u.uid ? { uid: u.uid } : {}), groups: u.groups ?? [], extra: u.extra ?? {} } } : {}),
      };
    },
    subjectAccessReview: async (spec) => {
      const body = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { ...spec, groups: spec.groups ? [...spec.groups] : undefined, extra: copyExtra(spec.extra) } };
      const r = await withTimeout(authz.createSubjectAccessReview({ body }), timeoutMs, 'subjectaccessreview');
      return {
        allowed: r.status?.allowed === true,
        ...(r.status?.denied ? { denied: true } : {}),
        ...(r.status?.reason ? { reason: r.status.reason } : {}),
        ...(r.status?.evaluationError ? { evaluationError: r.status.evaluationError } : {}),
      };
    },
    readAuthConfigMap: async () => {
      try {
        const cm = await withTimeout(core.readNamespacedConfigMap(AUTH_CONFIGMAP), timeoutMs, 'configmap');
        return cm.data ?? {};
      } catch (err) {
        if (err instanceof ApiException && err.code === 404) return undefined;
        if (err instanceof ApiException && err.code === 403) {
          throw new Error(
            `forbidden to read configmap ${AUTH_CONFIGMAP.namespace}/${AUTH_CONFIGMAP.name}: bind Role extension-apiserver-authentication-reader in kube-system to the adapter's ServiceAccount`,
            { cause: err },
          );
        }
        throw err;
      }
    },
  };
}

function copyExtra(extra: Readonly<Record<string, readonly string[]>> | undefined): Record<string, string[]> | undefined {
  return extra ? Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, [...v]])) : undefined;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReviewTimeoutError(what, ms)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
