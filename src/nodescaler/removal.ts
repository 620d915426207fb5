import type { Ctx, NodeCtx } from './context.js';
import { setNodeVerdict } from './context.js';

/**
 * Plans the removal of one specific node: the pool's desired count drops by one and the
 * executor tells the engine which machine goes (Cluster API: delete-machine annotation, then
 * the lower replica count). Planned once per node — desired must not drop twice for it.
 */
export function requestRemoval(ctx: Ctx, node: NodeCtx, reason: string): void {
  const pool = node.pool;
  if (!pool || node.mem.removeRequestedAt !== undefined) return;
  node.mem.removeRequestedAt = ctx.now;
  pool.removals++;
  // The node now counts only as a removal, not also as interrupted or draining.
  if (node.interrupted) pool.interrupted--;
  if (node.draining) pool.draining--;
  node.interrupted = false;
  node.draining = false;
  node.removing = true;
  ctx.actions.push({ kind: 'removeNode', pool: pool.name, node: node.info.name, reason });
  setNodeVerdict(ctx, node, 'removing', reason);
  ctx.events.push({ involved: { kind: 'Node', name: node.info.name }, type: 'Normal', reason: 'ScaleDown', message: `removing node from pool ${pool.name}: ${reason}` });
}
