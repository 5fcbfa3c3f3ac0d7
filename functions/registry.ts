import type { TaskContract } from "./contract/task-contract.js";
import requestApproval from "./approval/request-approval.contract.js";
import closeIncident from "./audit/close-incident.contract.js";
import recordFailure from "./audit/record-failure.contract.js";
import autoScalingAttachInstance from "./autoscaling/attach-instance.contract.js";
import autoScalingDetachInstance from "./autoscaling/detach-instance.contract.js";
import openIncident from "./detect/open-incident.contract.js";
import ec2BlockIp from "./ec2/block-ip.contract.js";
import ec2CaptureMemory from "./ec2/capture-memory.contract.js";
import ec2DescribeInstance from "./ec2/describe-instance.contract.js";
import isolateInstance from "./ec2/isolate-instance.contract.js";
import ec2LaunchReplacementInstance from "./ec2/launch-replacement-instance.contract.js";
import ec2RestoreSecurityGroupRule from "./ec2/restore-security-group-rule.contract.js";
import ec2RestoreSecurityGroups from "./ec2/restore-security-groups.contract.js";
import ec2RevokeSecurityGroupRule from "./ec2/revoke-security-group-rule.contract.js";
import ec2SnapshotVolumes from "./ec2/snapshot-volumes.contract.js";
import ec2StartInstance from "./ec2/start-instance.contract.js";
import ec2StopInstance from "./ec2/stop-instance.contract.js";
import ec2TagInstance from "./ec2/tag-instance.contract.js";
import ec2TerminateInstance from "./ec2/terminate-instance.contract.js";
import ec2UnblockExpiredIps from "./ec2/unblock-expired-ips.contract.js";
import ec2UnblockIp from "./ec2/unblock-ip.contract.js";
import ec2UntagInstance from "./ec2/untag-instance.contract.js";
import guardDutyArchiveFinding from "./guardduty/archive-finding.contract.js";
import guardDutySendFeedback from "./guardduty/send-feedback.contract.js";
import guardDutyUnarchiveFinding from "./guardduty/unarchive-finding.contract.js";
import iamActivateAccessKey from "./iam/activate-access-key.contract.js";
import iamDeactivateAccessKey from "./iam/deactivate-access-key.contract.js";
import iamDescribeAccessKey from "./iam/describe-access-key.contract.js";
import iamDisableConsoleLogin from "./iam/disable-console-login.contract.js";
import iamEnableConsoleLogin from "./iam/enable-console-login.contract.js";
import iamFindStaleAccessKeys from "./iam/find-stale-access-keys.contract.js";
import iamFindUsersWithoutMfa from "./iam/find-users-without-mfa.contract.js";
import iamRemoveSessionRevocation from "./iam/remove-session-revocation.contract.js";
import iamRevokeRoleSessions from "./iam/revoke-role-sessions.contract.js";
import iamRevokeUserSessions from "./iam/revoke-user-sessions.contract.js";
import s3DescribeBucketAccess from "./s3/describe-bucket-access.contract.js";
import s3EnableBlockPublicAccess from "./s3/enable-block-public-access.contract.js";
import s3MakeBucketPrivate from "./s3/make-bucket-private.contract.js";
import s3RestoreBucketAccess from "./s3/restore-bucket-access.contract.js";
import snsNotify from "./sns/notify.contract.js";

/**
 * Every task the runbooks may name. The compiler, the manifest (and so the stacks' IAM) and the
 * local runner all read this one list; a task missing here cannot be compiled into a workflow.
 */
export const TASK_CONTRACTS: readonly TaskContract[] = [
  openIncident,
  requestApproval,
  recordFailure,
  closeIncident,
  // EC2: evidence and enrichment
  ec2DescribeInstance,
  ec2SnapshotVolumes,
  ec2CaptureMemory,
  // EC2: instance containment and recovery
  isolateInstance,
  ec2RestoreSecurityGroups,
  ec2TagInstance,
  ec2UntagInstance,
  ec2StopInstance,
  ec2StartInstance,
  ec2TerminateInstance,
  ec2LaunchReplacementInstance,
  // EC2: network
  ec2BlockIp,
  ec2UnblockIp,
  ec2UnblockExpiredIps,
  ec2RevokeSecurityGroupRule,
  ec2RestoreSecurityGroupRule,
  // Auto Scaling
  autoScalingDetachInstance,
  autoScalingAttachInstance,
  // IAM
  iamRevokeRoleSessions,
  iamRevokeUserSessions,
  iamRemoveSessionRevocation,
  iamDescribeAccessKey,
  iamDeactivateAccessKey,
  iamActivateAccessKey,
  iamDisableConsoleLogin,
  iamEnableConsoleLogin,
  iamFindStaleAccessKeys,
  iamFindUsersWithoutMfa,
  // S3
  s3DescribeBucketAccess,
  s3MakeBucketPrivate,
  s3EnableBlockPublicAccess,
  s3RestoreBucketAccess,
  // SNS and GuardDuty
  snsNotify,
  guardDutyArchiveFinding,
  guardDutyUnarchiveFinding,
  guardDutySendFeedback,
];

/** Tasks that the compiler places itself; runbooks cannot name them. */
export const SYSTEM_TASKS = {
  openIncident: openIncident.name,
  requestApproval: requestApproval.name,
  recordFailure: recordFailure.name,
  closeIncident: closeIncident.name,
} as const;

const byName = new Map(TASK_CONTRACTS.map((task) => [task.name, task]));

export function findTask(name: string): TaskContract | undefined {
  return byName.get(name);
}

export function taskNames(): string[] {
  return [...byName.keys()];
}
