/** The end-to-end harness: a real control plane, a fake kubelet, waits. See docs/e2e.md. */
export { kubeBinaries, missingBinaries, pinnedKubeVersion, REPO_ROOT, type KubeBinaries } from './binaries.js';
export {
  DEFAULT_CONTROLLERS,
  MissingBinariesError,
  startControlPlane,
  type ControlPlane,
  type ControlPlaneOptions,
} from './control-plane.js';
export { startFakeKubelet, type FakeKubelet, type FakeKubeletOptions } from './fake-kubelet.js';
export { loadKubeConfig, writeKubeconfig } from './kubeconfig.js';
export { createCa, issueCert, type CertificateAuthority, type KeyPair, type LeafOptions, type Pki } from './pki.js';
export { requireBinariesOrSkip } from './prerequisites.js';
export { GiveUp, sleep, waitFor, WaitTimeoutError, type WaitOptions } from './wait.js';
