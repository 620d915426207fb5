/** Which flag configures a source for a built-in metric, for "not configured" errors. */
export function sourceHint(metric: string): string {
  if (metric.startsWith('nvidia_gpu') || metric.startsWith('gpu_')) return 'set --dcgm-url or --prometheus-url';
  if (metric.startsWith('storage_')) return 'set --prometheus-url';
  if (metric.startsWith('redis_queue')) return 'set --redis-url';
  return 'add a rule for it to the configuration';
}
