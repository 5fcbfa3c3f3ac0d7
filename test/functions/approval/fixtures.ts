import { newApproval, type ApprovalRequest, type ApprovalView } from "../../../functions/approval/approval.js";
import { identityFromArn, type Identity } from "../../../functions/approval/identity.js";

export const T0 = new Date("2026-11-24T12:00:00.000Z");
export const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
export const DIGEST = "ab".repeat(32);

export function request(overrides: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    taskToken: "secret-task-token-123",
    incidentId: "inc-20261124-abcdef123456",
    executionId: "arn:aws:states:us-east-1:123456789012:execution:ec2-instance-compromise-contain:inc-20261124-abcdef123456-contain",
    runbookId: "ec2-instance-compromise",
    stepId: "contain/isolate-the-instance",
    stepTitle: "Isolate the instance",
    task: "ec2.isolate-instance",
    risk: "reversible",
    plans: [{ digest: DIGEST, summary: "swap i-0abc to the quarantine group", changes: 1 }],
    approvers: ["arn:aws:iam::*:role/IncidentLead"],
    requiredApprovals: 1,
    timeoutSeconds: 1800,
    onTimeout: "abort",
    escalation: false,
    ...overrides,
  };
}

export function approval(overrides: Partial<ApprovalRequest> = {}, requester = "event:aws.guardduty"): ApprovalView {
  return newApproval(request(overrides), { id: "apr-1", requester, now: T0 });
}

export const lead = (name: string): Identity => identityFromArn(`arn:aws:sts::123456789012:assumed-role/IncidentLead/${name}`);
export const responder = (name: string): Identity => identityFromArn(`arn:aws:sts::123456789012:assumed-role/IncidentResponder/${name}`);
