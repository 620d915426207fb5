/**
 * A small in-repo stand-in for the EC2 Auto Scaling Query API (version 2011-01-01), for the
 * few actions the node-scaler's ASG actuator calls. The real API cannot run here (LocalStack's
 * Auto Scaling is Pro-only), so the real `@aws-sdk/client-auto-scaling` client is pointed at
 * this server: requests are POSTed form-encoded (`Action=…&Version=2011-01-01`, lists as
 * `Name.member.N`), answers are the XML documents the real service sends
 * (`<XResponse><XResult>…</XResult><ResponseMetadata>`, members as `<member>`, errors as
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`).
 *
 * Behaviour kept from the real service: SetDesiredCapacity and a decrementing termination
 * are checked against MinSize/MaxSize (ValidationError); a terminated instance turns
 * `Terminating` and stays listed until `finishTerminations()`; activities are returned newest
 * first. Pessimistic where the service is undocumented: terminating an instance that is
 * already `Terminating` decrements again, so a test proves the actuator never does it.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const NS = 'http://autoscaling.amazonaws.com/doc/2011-01-01/';

export interface FakeInstance {
  id: string;
  az: string;
  lifecycleState: string;
  instanceType?: string;
}

export interface FakeActivity {
  id: string;
  group: string;
  description: string;
  cause: string;
  startTime: Date;
  endTime?: Date;
  statusCode: string;
  statusMessage?: string;
  progress: number;
}

export interface FakeGroup {
  name: string;
  min: number;
  max: number;
  desired: number;
  instances: FakeInstance[];
  activities: FakeActivity[];
}

export interface RecordedCall {
  action: string;
  params: Record<string, string>;
  /** The SigV4 credential scope's region, to prove the client signs for the pool's region. */
  region?: string;
}

interface Injected {
  code: string;
  status: number;
  message: string;
  remaining: number;
}

class QueryError extends Error {
  constructor(readonly code: string, message: string, readonly status = 400) {
    super(message);
  }
}

export class FakeAutoScaling {
  readonly groups = new Map<string, FakeGroup>();
  readonly calls: RecordedCall[] = [];
  private readonly injected = new Map<string, Injected>();
  private server: Server | undefined;
  private clock = Date.parse('2026-03-02T12:00:00Z');

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  addGroup(name: string, opts: { min?: number; max?: number; desired?: number; instances?: Array<Pick<FakeInstance, 'id' | 'az'> & Partial<FakeInstance>> } = {}): FakeGroup {
    const instances = (opts.instances ?? []).map((i) => ({ lifecycleState: 'InService', instanceType: 'g5.xlarge', ...i }));
    const group: FakeGroup = { name, min: opts.min ?? 0, max: opts.max ?? 10, desired: opts.desired ?? instances.length, instances, activities: [] };
    this.groups.set(name, group);
    return group;
  }

  /** Records a finished activity (e.g. a failed launch) `minutesAgo` before the fake's clock. */
  addActivity(group: string, a: { statusCode: string; statusMessage?: string; description?: string; minutesAgo?: number }): FakeActivity {
    const end = new Date(this.clock - (a.minutesAgo ?? 0) * 60_000);
    const activity: FakeActivity = {
      id: randomUUID(),
      group,
      description: a.description ?? 'Launching a new EC2 instance.  Status Reason: test. Launching EC2 instance failed.',
      cause: `At ${end.toISOString()} an instance was started in response to a difference between desired and actual capacity.`,
      startTime: new Date(end.getTime() - 2_000),
      endTime: end,
      statusCode: a.statusCode,
      progress: 100,
      ...(a.statusMessage ? { statusMessage: a.statusMessage } : {}),
    };
    this.group(group).activities.unshift(activity);
    return activity;
  }

  /** The next `times` calls of `action` answer this error instead (Throttling is HTTP 400 `Sender`). */
  inject(action: string, code: string, times = 1, status = 400, message = 'Rate exceeded'): void {
    this.injected.set(action, { code, status, message, remaining: times });
  }

  /** What EC2 does after a while: terminating instances leave the group. */
  finishTerminations(): void {
    for (const g of this.groups.values()) g.instances = g.instances.filter((i) => !i.lifecycleState.startsWith('Terminating'));
  }

  callsOf(action: string): RecordedCall[] {
    return this.calls.filter((c) => c.action === action);
  }

  private group(name: string): FakeGroup {
    const g = this.groups.get(name);
    if (!g) throw new QueryError('ValidationError', `AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`);
    return g;
  }

  // ── HTTP ─────────────────────────────────────────────────────────────────────────────────

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const params = Object.fromEntries(new URLSearchParams(body));
    const action = params.Action ?? '';
    const region = /Credential=[^/]+\/\d{8}\/([^/]+)\/autoscaling\//.exec(req.headers.authorization ?? '')?.[1];
    this.calls.push({ action, params, ...(region ? { region } : {}) });
    try {
      if (req.method !== 'POST' || params.Version !== '2011-01-01') throw new QueryError('InvalidAction', `expected a POST of Version=2011-01-01, got ${req.method} ${params.Version}`);
      if (!req.headers.authorization?.startsWith('AWS4-HMAC-SHA256 ')) throw new QueryError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
      this.throwInjected(action);
      const result = this.dispatch(action, params);
      send(res, 200, `<${action}Response xmlns="${NS}">${result === undefined ? '' : `<${action}Result>${result}</${action}Result>`}` +
        `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`);
    } catch (err) {
      const e = err instanceof QueryError ? err : new QueryError('InternalFailure', String(err), 500);
      const type = e.status >= 500 ? 'Receiver' : 'Sender';
      send(res, e.status, `<ErrorResponse xmlns="${NS}"><Error><Type>${type}</Type><Code>${e.code}</Code><Message>${xml(e.message)}</Message></Error>` +
        `<RequestId>${requestId}</RequestId></ErrorResponse>`);
    }
  }

  private throwInjected(action: string): void {
    const inj = this.injected.get(action);
    if (!inj || inj.remaining <= 0) return;
    inj.remaining--;
    throw new QueryError(inj.code, inj.message, inj.status);
  }

  /** The `<XResult>` body, or undefined for actions whose response has no result element. */
  private dispatch(action: string, p: Record<string, string>): string | undefined {
    switch (action) {
      case 'DescribeAutoScalingGroups': return this.describeGroups(p);
      case 'DescribeScalingActivities': return this.describeActivities(p);
      case 'SetDesiredCapacity': return this.setDesired(p);
      case 'TerminateInstanceInAutoScalingGroup': return this.terminate(p);
      default: throw new QueryError('InvalidAction', `The action ${action} is not valid for this web service.`);
    }
  }

  private describeGroups(p: Record<string, string>): string {
    const names = members(p, 'AutoScalingGroupNames');
    const groups = [...this.groups.values()].filter((g) => names.length === 0 || names.includes(g.name));
    return `<AutoScalingGroups>${groups.map(groupXml).join('')}</AutoScalingGroups>`;
  }

  private describeActivities(p: Record<string, string>): string {
    const groups = p.AutoScalingGroupName ? [this.group(p.AutoScalingGroupName)] : [...this.groups.values()];
    const max = Number(p.MaxRecords ?? 100);
    const activities = groups.flatMap((g) => g.activities).sort((a, b) => b.startTime.getTime() - a.startTime.getTime()).slice(0, max);
    return `<Activities>${activities.map(activityXml).join('')}</Activities>`;
  }

  private setDesired(p: Record<string, string>): undefined {
    const g = this.group(p.AutoScalingGroupName ?? '');
    const desired = Number(p.DesiredCapacity);
    if (desired < g.min || desired > g.max) {
      throw new QueryError('ValidationError', `New SetDesiredCapacity value ${desired} is ${desired < g.min ? 'below min' : 'above max'} value ${desired < g.min ? g.min : g.max} for the AutoScalingGroup.`);
    }
    g.desired = desired;
    return undefined;
  }

  private terminate(p: Record<string, string>): string {
    const id = p.InstanceId ?? '';
    const g = [...this.groups.values()].find((x) => x.instances.some((i) => i.id === id));
    const instance = g?.instances.find((i) => i.id === id);
    if (!g || !instance) throw new QueryError('ValidationError', `Instance Id not found - No managed instance found for instance ID: ${id}`);
    const decrement = p.ShouldDecrementDesiredCapacity === 'true';
    if (decrement && g.desired - 1 < g.min) {
      throw new QueryError('ValidationError', `Currently, desiredSize equals minSize (${g.min}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`);
    }
    if (decrement) g.desired--;
    instance.lifecycleState = 'Terminating';
    const activity: FakeActivity = {
      id: randomUUID(), group: g.name, description: `Terminating EC2 instance: ${id}`, startTime: new Date(this.clock),
      cause: `At ${new Date(this.clock).toISOString()} instance ${id} was taken out of service in response to a user request${decrement ? ', shrinking the capacity' : ''}.`,
      statusCode: 'InProgress', progress: 0,
    };
    g.activities.unshift(activity);
    return `<Activity>${activityFields(activity)}</Activity>`;
  }
}

// ── XML ────────────────────────────────────────────────────────────────────────────────────

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/xml', 'x-amzn-RequestId': randomUUID() });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function el(name: string, value: string | number | boolean | undefined): string {
  return value === undefined ? '' : `<${name}>${typeof value === 'string' ? xml(value) : String(value)}</${name}>`;
}

/** `Name.member.1`, `Name.member.2`, … in order. */
function members(p: Record<string, string>, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; p[`${name}.member.${i}`] !== undefined; i++) out.push(p[`${name}.member.${i}`] as string);
  return out;
}

function groupXml(g: FakeGroup): string {
  const azs = [...new Set(g.instances.map((i) => i.az))];
  const instances = g.instances.map((i) => `<member>${el('InstanceId', i.id)}${el('InstanceType', i.instanceType)}${el('AvailabilityZone', i.az)}` +
    `${el('LifecycleState', i.lifecycleState)}${el('HealthStatus', 'Healthy')}${el('ProtectedFromScaleIn', false)}</member>`).join('');
  return `<member>${el('AutoScalingGroupName', g.name)}` +
    el('AutoScalingGroupARN', `arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:${randomUUID()}:autoScalingGroupName/${g.name}`) +
    `${el('MinSize', g.min)}${el('MaxSize', g.max)}${el('DesiredCapacity', g.desired)}${el('DefaultCooldown', 300)}` +
    `<AvailabilityZones>${azs.map((az) => el('member', az)).join('')}</AvailabilityZones>${el('HealthCheckType', 'EC2')}` +
    `${el('HealthCheckGracePeriod', 300)}<Instances>${instances}</Instances>${el('CreatedTime', '2026-01-05T09:00:00.000Z')}` +
    `<TerminationPolicies>${el('member', 'Default')}</TerminationPolicies>${el('NewInstancesProtectedFromScaleIn', false)}</member>`;
}

function activityXml(a: FakeActivity): string {
  return `<member>${activityFields(a)}</member>`;
}

function activityFields(a: FakeActivity): string {
  return `${el('ActivityId', a.id)}${el('AutoScalingGroupName', a.group)}${el('Description', a.description)}${el('Cause', a.cause)}` +
    `${el('StartTime', a.startTime.toISOString())}${el('EndTime', a.endTime?.toISOString())}${el('StatusCode', a.statusCode)}` +
    `${el('StatusMessage', a.statusMessage)}${el('Progress', a.progress)}${el('Details', '{"Subnet ID":"subnet-0abc","Availability Zone":"us-east-1a"}')}`;
}
