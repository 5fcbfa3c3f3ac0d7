import type { Task } from "./contract/task.js";
import autoscalingAttachInstance from "./autoscaling/attach-instance.js";
import autoscalingDetachInstance from "./autoscaling/detach-instance.js";
import ec2BlockIp from "./ec2/block-ip.js";
import ec2CaptureMemory from "./ec2/capture-memory.js";
import ec2DescribeInstance from "./ec2/describe-instance.js";
import ec2IsolateInstance from "./ec2/isolate-instance.js";
import ec2LaunchReplacementInstance from "./ec2/launch-replacement-instance.js";
import ec2RestoreSecurityGroupRule from "./ec2/restore-security-group-rule.js";
import ec2RestoreSecurityGroups from "./ec2/restore-security-groups.js";
import ec2RevokeSecurityGroupRule from "./ec2/revoke-security-group-rule.js";
import ec2SnapshotVolumes from "./ec2/snapshot-volumes.js";
import ec2StartInstance from "./ec2/start-instance.js";
import ec2StopInstance from "./ec2/stop-instance.js";
import ec2TagInstance from "./ec2/tag-instance.js";
import ec2TerminateInstance from "./ec2/terminate-instance.js";
import ec2UnblockExpiredIps from "./ec2/unblock-expired-ips.js";
import ec2UnblockIp from "./ec2/unblock-ip.js";
import ec2UntagInstance from "./ec2/untag-instance.js";
import guarddutyArchiveFinding from "./guardduty/archive-finding.js";
import guarddutySendFeedback from "./guardduty/send-feedback.js";
import guarddutyUnarchiveFinding from "./guardduty/unarchive-finding.js";
import iamActivateAccessKey from "./iam/activate-access-key.js";
import iamDeactivateAccessKey from "./iam/deactivate-access-key.js";
import iamDescribeAccessKey from "./iam/describe-access-key.js";
import iamDisableConsoleLogin from "./iam/disable-console-login.js";
import iamEnableConsoleLogin from "./iam/enable-console-login.js";
import iamFindStaleAccessKeys from "./iam/find-stale-access-keys.js";
import iamFindUsersWithoutMfa from "./iam/find-users-without-mfa.js";
import iamRemoveSessionRevocation from "./iam/remove-session-revocation.js";
import iamRevokeRoleSessions from "./iam/revoke-role-sessions.js";
import iamRevokeUserSessions from "./iam/revoke-user-sessions.js";
import s3DescribeBucketAccess from "./s3/describe-bucket-access.js";
import s3EnableBlockPublicAccess from "./s3/enable-block-public-access.js";
import s3MakeBucketPrivate from "./s3/make-bucket-private.js";
import s3RestoreBucketAccess from "./s3/restore-bucket-access.js";
import snsNotify from "./sns/notify.js";

/**
 * Every task implementation, by name: what the local runner calls for a `${Task:<name>}`
 * placeholder. Lambda entry points import their one task directly (small bundles); this list is
 * for processes that run them all.
 */
export const TASKS: readonly Task[] = [
  autoscalingAttachInstance,
  autoscalingDetachInstance,
  ec2BlockIp,
  ec2CaptureMemory,
  ec2DescribeInstance,
  ec2IsolateInstance,
  ec2LaunchReplacementInstance,
  ec2RestoreSecurityGroupRule,
  ec2RestoreSecurityGroups,
  ec2RevokeSecurityGroupRule,
  ec2SnapshotVolumes,
  ec2StartInstance,
  ec2StopInstance,
  ec2TagInstance,
  ec2TerminateInstance,
  ec2UnblockExpiredIps,
  ec2UnblockIp,
  ec2UntagInstance,
  guarddutyArchiveFinding,
  guarddutySendFeedback,
  guarddutyUnarchiveFinding,
  iamActivateAccessKey,
  iamDeactivateAccessKey,
  iamDescribeAccessKey,
  iamDisableConsoleLogin,
  iamEnableConsoleLogin,
  iamFindStaleAccessKeys,
  iamFindUsersWithoutMfa,
  iamRemoveSessionRevocation,
  iamRevokeRoleSessions,
  iamRevokeUserSessions,
  s3DescribeBucketAccess,
  s3EnableBlockPublicAccess,
  s3MakeBucketPrivate,
  s3RestoreBucketAccess,
  snsNotify,
];

const byName = new Map(TASKS.map((task) => [task.contract.name, task]));

export function findImplementation(name: string): Task | undefined {
  return byName.get(name);
}
