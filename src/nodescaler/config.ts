import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../config/index.js';
import { errorMessage } from '../util/errors.js';

/**
 * The node-scaler YAML configuration. Defaults are the ones of research/node-scaler.md §4;
 * durations are seconds (like the rest of the project's config), ratios are 0–1. Unknown
 * keys are errors so a typo never silently turns a safety rule off.
 */

const seconds = (def: number) => z.number().nonnegative().default(def);
const positiveSeconds = (def: number) => z.number().positive().default(def);
const ratio = (def: number) => z.number().min(0).max(1).default(def);
const count = (def: number) => z.number().int().nonnegative().default(def);

export const TIERS = ['reserved', 'spot', 'onDemand'] as const;
export type Tier = (typeof TIERS)[number];

const dnsName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a lowercase DNS-style name (a-z, 0-9, - and .)')
  .max(253);

const taintSchema = z.strictObject({
  key: z.string().min(1),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
});

/** Where the pool's replica count lives. Only Cluster API is implemented by the executor first. */
const actuatorSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('clusterApi'),
    resource: z.enum(['MachineDeployment', 'MachineSet', 'MachinePool']).default('MachineDeployment'),
    apiVersion: z.string().default('cluster.x-k8s.io/v1beta1'),
    namespace: dnsName,
    name: dnsName,
  }),
  z.strictObject({ kind: z.literal('karpenterNodePool'), name: dnsName }),
  z.strictObject({ kind: z.literal('awsAsg'), name: z.string().min(1), region: z.string().min(1) }),
]);

const poolSchema = z.strictObject({
  name: dnsName,
  tier: z.enum(TIERS),
  gpuModel: z.string().min(1),
  /** Physical GPUs per node; cost per GPU is pricePerHour / gpusPerNode. */
  gpusPerNode: z.number().int().positive(),
  /** The extended resource pods request on this pool (`nvidia.com/gpu` or a MIG profile). */
  gpuResource: z.string().regex(/^nvidia\.com\/(gpu|mig-[a-z0-9.]+)$/, 'must be nvidia.com/gpu or nvidia.com/mig-<profile>').default('nvidia.com/gpu'),
  /** Schedulable units per physical GPU: MIG instances or time-slicing replicas (1 = exclusive). */
  slotsPerGpu: z.number().int().positive().default(1),
  /** GPUs shared by time-slicing/MPS: enables utilisation headroom (§4.5) for this pool. */
  shared: z.boolean().default(false),
  pricePerHour: z.number().nonnegative(),
  onDemandReferencePrice: z.number().nonnegative(),
  min: count(0),
  max: z.number().int().nonnegative(),
  /** Prepaid nodes (reserved tier only): never removed, filled first. */
  commitment: z.number().int().nonnegative().optional(),
  /** Tie-break inside a tier; higher is preferred. */
  weight: z.number().int().min(0).max(100).default(0),
  provisionTimeoutSeconds: positiveSeconds(600),
  /** Overrides scaleDown.minNodeAgeSeconds (use ≥ 1200 for GPU images over 5 GB). */
  minNodeAgeSeconds: z.number().nonnegative().optional(),
  labels: z.record(z.string(), z.string()).default({}),
  taints: z.array(taintSchema).default([]),
  actuator: actuatorSchema,
});

const spotSchema = z.strictObject({
  /** s_max: most of the GPU fleet that may run on spot. */
  maxShare: ratio(0.6),
  /** Pods in the `high` eviction band never go to spot. */
  protectHighFromSpot: z.boolean().default(false),
  /** λ_max: interruptions per node-day above which a spot pool is demoted. */
  interruptionRateMax: z.number().positive().default(0.1),
  shareStep: ratio(0.1),
  shareFloor: ratio(0.2),
});

const backoffSchema = z.strictObject({
  initialSeconds: positiveSeconds(300),
  maxSeconds: positiveSeconds(1800),
  resetAfterSeconds: positiveSeconds(10800),
  probeNodes: z.number().int().positive().default(1),
});

const scaleUpSchema = z.strictObject({
  cooldownSeconds: seconds(0),
  maxNodesPerTick: z.number().int().positive().default(10),
  maxNodesPerTickFraction: ratio(0.25),
});

const scaleDownSchema = z.strictObject({
  enabled: z.boolean().default(true),
  minNodeAgeSeconds: seconds(600),
  unneededSeconds: seconds(600),
  allocationThreshold: ratio(0.5),
  utilizationThreshold: ratio(0.2),
  delayAfterAddSeconds: seconds(600),
  delayAfterFailureSeconds: seconds(180),
  /** Global pause between two non-empty removals. */
  cooldownSeconds: seconds(600),
  maxEmptyBulk: z.number().int().positive().default(10),
  maxConcurrentDrains: z.number().int().positive().default(2),
  maxConcurrentDrainsPerPool: z.number().int().positive().default(1),
  maxGracefulTerminationSeconds: positiveSeconds(600),
  /** Default maxGracefulTerminationSeconds + 60. */
  drainTimeoutSeconds: z.number().positive().optional(),
  unremovableSeconds: positiveSeconds(300),
  /** Cluster Autoscaler's rule: a kube-system pod without a PDB blocks removal. */
  kubeSystemPodsNeedPdb: z.boolean().default(true),
});

const headroomSchema = z.strictObject({
  /** Also apply to exclusive-GPU pools (shared pools always may). */
  enabled: z.boolean().default(false),
  upThreshold: ratio(0.8),
  targetRatio: z.number().gt(0).max(1).default(0.7),
  windowSeconds: seconds(180),
  /** Shared pools only: a known DCGM mean above this also counts as saturated. */
  dcgmSaturation: ratio(0.9),
});

const dcgmSchema = z.strictObject({
  windowSeconds: positiveSeconds(600),
  /** Older samples are unknown (2 × scrape interval). */
  maxAgeSeconds: positiveSeconds(30),
});

const bandWeightsSchema = z.strictObject({
  low: z.number().nonnegative().default(1),
  medium: z.number().nonnegative().default(3),
  high: z.number().nonnegative().default(6),
  systemCritical: z.number().nonnegative().default(0),
});

const noticeSchema = z.strictObject({
  aws: positiveSeconds(120),
  gcp: positiveSeconds(30),
  azure: positiveSeconds(30),
  other: positiveSeconds(120),
});

const interruptionSchema = z.strictObject({
  mode: z.enum(['drain', 'observe']).default('drain'),
  /** Providers whose platform drains by itself: the node-scaler only replaces capacity. */
  observeProviders: z.array(z.enum(['aws', 'gcp', 'azure', 'other'])).default(['gcp', 'azure']),
  safetyMarginSeconds: seconds(10),
  bandWeights: bandWeightsSchema.default(bandWeightsSchema.parse({})),
  respectPdbUntilDeadline: z.boolean().default(false),
  defaultNoticeSeconds: noticeSchema.default(noticeSchema.parse({})),
  atRiskTtlSeconds: positiveSeconds(1800),
  workloadTypeBands: z
    .record(z.string(), z.enum(['low', 'medium', 'high']))
    .default({ training: 'high', inference: 'medium', serving: 'medium', development: 'low', batch: 'low' }),
});

const predictiveSchema = z.strictObject({
  enabled: z.boolean().default(false),
  lookbackDays: z.number().int().positive().default(28),
  quantile: ratio(0.8),
  halfLifeWeeks: z.number().positive().default(2),
  minSamples: z.number().int().positive().default(3),
  targetSamples: z.number().int().positive().default(4),
  confidenceThreshold: ratio(0.7),
  leadMarginMinutes: z.number().nonnegative().default(10),
  defaultLeadMinutes: z.number().positive().default(30),
  maxGpus: z.number().int().positive().default(64),
  timezone: z.string().refine(isTimeZone, 'must be an IANA time zone such as UTC or Europe/Paris').default('UTC'),
  expiryGraceMinutes: z.number().nonnegative().default(15),
});

export const nodeScalerConfigSchema = z
  .strictObject({
    dryRun: z.boolean().default(true),
    scanIntervalSeconds: positiveSeconds(10),
    /** T_pend: how long a GPU pod stays unschedulable before it asks for a node. */
    pendingDelaySeconds: seconds(30),
    expendablePodsPriorityCutoff: z.number().int().default(-10),
    hoursPerMonth: z.number().positive().default(730),
    spot: spotSchema.default(spotSchema.parse({})),
    backoff: backoffSchema.default(backoffSchema.parse({})),
    scaleUp: scaleUpSchema.default(scaleUpSchema.parse({})),
    scaleDown: scaleDownSchema.default(scaleDownSchema.parse({})),
    headroom: headroomSchema.default(headroomSchema.parse({})),
    dcgm: dcgmSchema.default(dcgmSchema.parse({})),
    interruption: interruptionSchema.default(interruptionSchema.parse({})),
    predictive: predictiveSchema.default(predictiveSchema.parse({})),
    pools: z.array(poolSchema).min(1, 'at least one pool is required'),
  })
  .superRefine(checkCrossFields);

export type NodeScalerConfig = z.infer<typeof nodeScalerConfigSchema>;
export type PoolConfig = NodeScalerConfig['pools'][number];
export type ActuatorRef = PoolConfig['actuator'];
export type TaintSpec = z.infer<typeof taintSchema>;
export type BandWeights = z.infer<typeof bandWeightsSchema>;

function checkCrossFields(cfg: { pools: z.infer<typeof poolSchema>[]; spot: z.infer<typeof spotSchema>; backoff: z.infer<typeof backoffSchema> }, ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  cfg.pools.forEach((p, i) => {
    const at = (field: string) => ['pools', i, field];
    if (p.max < p.min) ctx.addIssue({ code: 'custom', path: at('max'), message: `must be ≥ min (${p.min})` });
    if (p.commitment !== undefined && p.tier !== 'reserved') {
      ctx.addIssue({ code: 'custom', path: at('commitment'), message: 'only a reserved pool has a commitment' });
    }
    if (p.commitment !== undefined && p.commitment > p.max) {
      ctx.addIssue({ code: 'custom', path: at('commitment'), message: `must be ≤ max (${p.max})` });
    }
    if (p.pricePerHour > p.onDemandReferencePrice && p.tier !== 'onDemand') {
      ctx.addIssue({ code: 'custom', path: at('pricePerHour'), message: `must be ≤ onDemandReferencePrice (${p.onDemandReferencePrice}) for a ${p.tier} pool` });
    }
    const first = seen.get(p.name);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: at('name'), message: `duplicates pools[${first}].name` });
    else seen.set(p.name, i);
  });
  if (cfg.spot.shareFloor > cfg.spot.maxShare) {
    ctx.addIssue({ code: 'custom', path: ['spot', 'shareFloor'], message: `must be ≤ spot.maxShare (${cfg.spot.maxShare})` });
  }
  if (cfg.backoff.maxSeconds < cfg.backoff.initialSeconds) {
    ctx.addIssue({ code: 'custom', path: ['backoff', 'maxSeconds'], message: `must be ≥ backoff.initialSeconds (${cfg.backoff.initialSeconds})` });
  }
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Validates raw (parsed YAML) configuration; errors name the field path, e.g. `pools[2].max: must be ≥ min (3)`. */
export function parseNodeScalerConfig(raw: unknown, origin = 'node-scaler config'): NodeScalerConfig {
  const result = nodeScalerConfigSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((i) => `${origin}: ${formatPath(i.path)}: ${i.message}`).join('\n'));
}

/** Reads, parses and validates a YAML file. */
export function loadNodeScalerConfig(file: string): NodeScalerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: ${errorMessage(err)}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML: ${errorMessage(err)}`);
  }
  return parseNodeScalerConfig(raw, file);
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** The drain timeout in seconds: configured, else maxGracefulTermination + 60 s. */
export function drainTimeoutSeconds(cfg: NodeScalerConfig): number {
  return cfg.scaleDown.drainTimeoutSeconds ?? cfg.scaleDown.maxGracefulTerminationSeconds + 60;
}

/** A pool's floor: its min, and never below its commitment. */
export function poolFloor(pool: PoolConfig): number {
  return Math.max(pool.min, pool.commitment ?? 0);
}

/** Scheduling units (GPU slots) one node of the pool offers. */
export function slotsPerNode(pool: PoolConfig): number {
  return pool.gpusPerNode * pool.slotsPerGpu;
}
