import { invalidInput } from "../contract/errors.js";
import type { NormalizedEvent } from "./normalize-event.js";

/**
 * Which events are one incident. The key names what a responder acts on, not the event that
 * reported it, so a storm of findings about one instance (500 GuardDuty updates, a brute force
 * seen by GuardDuty and the flow logs at once) becomes one incident with many occurrences:
 *
 * - a resource we act on, by its identity: instance, security group + the exact rule opened,
 *   bucket, long-term access key, IAM user, role. EC2 ids are regional; IAM and S3 names are
 *   global to the account, so a key reported from two regions is still one incident;
 * - otherwise the remote peer of a flow-log record (an interface without an instance: NAT gateway,
 *   load balancer), then the GuardDuty finding id (its updates are one incident), then the event id;
 * - schedules: one run per runbook, rule and scheduled minute (EventBridge delivers at least once);
 * - manual starts: the responder asked for a response, so never merged, except the same event
 *   delivered twice (same event id).
 *
 * Every key starts with the runbook and the account: two runbooks that both match an event each
 * respond (neither silences the other), and equal names in two accounts are two resources. The
 * parts are ids the normaliser has validated (no `#`), so the key is readable by responders and
 * bounded (well under DynamoDB's 2 KiB partition key).
 */
export function dedupeKey(event: NormalizedEvent, runbookId: string): string {
  if (!RUNBOOK_ID.test(runbookId)) throw invalidInput("runbook.id must be a runbook id (lowercase letters, digits and dashes)", "runbook.id");
  const { trigger } = event;
  const scope = [runbookId, trigger.accountId];
  switch (trigger.source) {
    case "manual":
      return join(scope, "manual", trigger.eventId);
    case "schedule":
      return join(scope, trigger.region, "schedule", trigger.type, scheduledMinute(trigger.time));
    default:
      return join(scope, ...(resourceIdentity(event) ?? flowPeer(event) ?? findingOrEvent(event)));
  }
}

const RUNBOOK_ID = /^[a-z][a-z0-9-]{2,40}$/;

function join(...parts: readonly (string | readonly string[])[]): string {
  return parts.flat().join("#");
}

/** The event time truncated to the minute: one scheduled run, however often it is delivered. */
function scheduledMinute(time: string): string {
  return new Date(time).toISOString().slice(0, 16);
}

function resourceIdentity({ resource, permission, trigger }: NormalizedEvent): string[] | undefined {
  switch (resource.kind) {
    case "ec2-instance":
      return resource.instanceId ? [trigger.region, "ec2-instance", resource.instanceId] : undefined;
    case "security-group": {
      if (!resource.securityGroupId) return undefined;
      const group = [trigger.region, "security-group", resource.securityGroupId];
      if (!permission || permission.groupId !== resource.securityGroupId) return group;
      const ports = permission.protocol === "-1" ? "all" : `${permission.fromPort ?? "*"}-${permission.toPort ?? "*"}`;
      return [...group, permission.direction, permission.protocol, ports, permission.cidr];
    }
    case "s3-bucket":
      return resource.bucketName ? ["s3-bucket", resource.bucketName] : undefined;
    case "iam-user":
    case "iam-access-key":
    case "account":
      if (resource.accessKeyId) return ["access-key", resource.accessKeyId];
      if (resource.roleName) return ["iam-role", resource.roleName];
      if (resource.userName) return ["iam-user", resource.userName];
      return undefined;
  }
}

function flowPeer({ trigger, resource, network }: NormalizedEvent): string[] | undefined {
  if (trigger.source !== "flowlogs" || !network?.remoteIp) return undefined;
  return [trigger.region, "flow-peer", resource.vpcId ?? "-", network.remoteIp];
}

function findingOrEvent({ trigger }: NormalizedEvent): string[] {
  return trigger.findingId ? ["guardduty-finding", trigger.findingId] : ["event", trigger.eventId];
}
