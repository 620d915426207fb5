/** Who made a request, as Kubernetes' user.Info describes it. */
export interface UserInfo {
  readonly name: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
}

export const AUTHENTICATED_GROUP = 'system:authenticated';
/** Members are allowed everything without a SubjectAccessReview (the aggregator's probe identity). */
export const PRIVILEGED_GROUP = 'system:masters';

/** Go's AuthenticatedGroupAdder: every authenticated user is in `system:authenticated`. */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.groups.includes(AUTHENTICATED_GROUP)) return user;
  return { ...user, groups: [...user.groups, AUTHENTICATED_GROUP] };
}
