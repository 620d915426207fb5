import type { Ctx, PoolCtx } from './context.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Interruption-rate feedback (§4.7): λ_p = interruptions in the last 24 h / average node count
 * over 24 h. A spot pool above λ_max is demoted (ranked after the other spot pools) and the
 * effective spot share cap drops by one step (at most once a day, never below the floor); one
 * step comes back after 24 h with every spot pool below λ_max/2.
 */
export function updateInterruptionFeedback(ctx: Ctx): void {
  const { spot } = ctx.cfg;
  let anyHigh = false;
  let allCalm = true;
  for (const pool of ctx.pools) {
    samplePoolSize(ctx, pool);
    pool.mem.interruptions = pool.mem.interruptions.filter((t) => ctx.now - t < DAY);
    if (pool.tier !== 'spot') continue;
    const rate = interruptionRate(pool);
    pool.mem.demoted = rate > spot.interruptionRateMax;
    if (pool.mem.demoted) anyHigh = true;
    if (rate >= spot.interruptionRateMax / 2) allCalm = false;
  }
  adjustShareSteps(ctx, anyHigh, allCalm);
  ctx.spotMaxShare = effectiveSpotShare(ctx);
}

/** Interruptions per node-day over the last 24 h. */
export function interruptionRate(pool: PoolCtx): number {
  const n = pool.mem.interruptions.length;
  if (n === 0) return 0;
  const seconds = pool.mem.sizeHours.reduce((s, h) => s + h.seconds, 0);
  const nodeSeconds = pool.mem.sizeHours.reduce((s, h) => s + h.nodeSeconds, 0);
  const avg = seconds > 0 ? nodeSeconds / seconds : pool.current;
  return n / Math.max(1, avg);
}

/** Integrates the pool's desired size per hour; gaps longer than an hour count as one hour. */
function samplePoolSize(ctx: Ctx, pool: PoolCtx): void {
  const mem = pool.mem;
  const last = mem.lastSampleAt;
  mem.lastSampleAt = ctx.now;
  if (last === undefined || ctx.now <= last) return;
  const dt = Math.min(ctx.now - last, HOUR) / 1000;
  const hour = Math.floor(ctx.now / HOUR);
  const tail = mem.sizeHours[mem.sizeHours.length - 1];
  if (tail && tail.hour === hour) {
    tail.nodeSeconds += pool.current * dt;
    tail.seconds += dt;
  } else mem.sizeHours.push({ hour, nodeSeconds: pool.current * dt, seconds: dt });
  mem.sizeHours = mem.sizeHours.filter((h) => h.hour > hour - 24);
}

function adjustShareSteps(ctx: Ctx, anyHigh: boolean, allCalm: boolean): void {
  const st = ctx.state;
  const { spot } = ctx.cfg;
  const maxSteps = spot.shareStep > 0 ? Math.floor((spot.maxShare - spot.shareFloor) / spot.shareStep + 1e-9) : 0;
  const dayPassed = st.spotShareChangedAt === undefined || ctx.now - st.spotShareChangedAt >= DAY;
  if (anyHigh) {
    st.spotCalmSince = undefined;
    if (dayPassed && st.spotShareSteps < maxSteps) {
      st.spotShareSteps++;
      st.spotShareChangedAt = ctx.now;
    }
    return;
  }
  if (!allCalm) {
    st.spotCalmSince = undefined;
    return;
  }
  st.spotCalmSince ??= ctx.now;
  if (st.spotShareSteps > 0 && ctx.now - st.spotCalmSince >= DAY) {
    st.spotShareSteps--;
    st.spotShareChangedAt = ctx.now;
    st.spotCalmSince = ctx.now;
  }
}

export function effectiveSpotShare(ctx: Ctx): number {
  const { spot } = ctx.cfg;
  return Math.max(Math.min(spot.shareFloor, spot.maxShare), spot.maxShare - ctx.state.spotShareSteps * spot.shareStep);
}
