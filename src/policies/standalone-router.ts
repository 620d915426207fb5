import { Router } from 'express';

/**
 * Standalone mode has no Kubernetes to create HPAs in: every /api/v1 request answers 503 and says so.
 * A file of its own so standalone mode can serve it without loading the Kubernetes client.
 */
export function standaloneRestRouter(): Router {
  const router = Router();
  router.use('/api/v1', (_req, res) => {
    res.status(503).json({
      error: 'the REST autoscaler API needs cluster mode',
      details: 'it creates HorizontalPodAutoscalers in Kubernetes: start serve with --kubeconfig (or KUBECONFIG), or run it in a pod',
    });
  });
  return router;
}
