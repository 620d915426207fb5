import { errorMessage } from '../../util/errors.js';

/**
 * A failed Auto Scaling call as one line naming the group, the call and the AWS error code,
 * e.g. `Auto Scaling group gpu-spot (us-east-1): SetDesiredCapacity to 3 failed: Throttling:
 * Rate exceeded (transient: the next tick retries)`.
 */

/** Codes that mean "not now" rather than "never": the SDK already retried, the next tick will again. */
const TRANSIENT = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'ScalingActivityInProgress', 'ResourceContention']);

export class AwsAsgError extends Error {
  override readonly name = 'AwsAsgError';
  /** The AWS error code (`Throttling`, `ValidationError`, …); undefined for transport errors. */
  readonly code: string | undefined;
  readonly transient: boolean;

  constructor(err: unknown, group: string, what: string) {
    const code = awsErrorCode(err);
    const transient = code === undefined || TRANSIENT.has(code);
    super(`${group}: ${what} failed: ${code ? `${code}: ` : ''}${errorMessage(err)}${transient ? ' (transient: the next tick retries)' : ''}`, { cause: err });
    this.code = code;
    this.transient = transient;
  }
}

/**
 * The Query API's `<Error><Code>`: the SDK keeps it as `Code` on service exceptions (the class
 * `name` is the modeled shape, e.g. ScalingActivityInProgressFault). Transport errors have none.
 */
export function awsErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { Code?: unknown; $metadata?: unknown; name?: unknown };
  if (typeof e.Code === 'string' && e.Code) return e.Code;
  return e.$metadata !== undefined && typeof e.name === 'string' ? e.name : undefined;
}
