import { expect } from "vitest";
import type { TaskContract } from "../../functions/contract/task-contract.js";

/** IAM service prefix of each SDK client. */
const SERVICE: Record<string, string> = {
  EC2Client: "ec2",
  IAMClient: "iam",
  S3Client: "s3",
  S3ControlClient: "s3control",
  SNSClient: "sns",
  SSMClient: "ssm",
  GuardDutyClient: "guardduty",
  AutoScalingClient: "autoscaling",
  ElasticLoadBalancingV2Client: "elasticloadbalancing",
  DynamoDBClient: "dynamodb",
  STSClient: "sts",
};

/** The few commands whose IAM action is not `<service>:<CommandName>`. */
const SPECIAL: Record<string, string> = {
  "s3:PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
  "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
  "s3:DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
  "s3:HeadObject": "s3:GetObject",
  "s3:HeadBucket": "s3:ListBucket",
  "s3:ListObjectsV2": "s3:ListBucket",
  "s3:GetBucketPolicyStatus": "s3:GetBucketPolicyStatus",
  "s3:GetBucketOwnershipControls": "s3:GetBucketOwnershipControls",
  // S3 Control's account-level block is granted with s3: actions.
  "s3control:GetPublicAccessBlock": "s3:GetAccountPublicAccessBlock",
  "s3control:PutPublicAccessBlock": "s3:PutAccountPublicAccessBlock",
};

/** The IAM action an SDK command needs. */
export function iamActionFor(clientName: string, commandName: string): string {
  const service = SERVICE[clientName];
  if (!service) throw new Error(`no IAM service known for ${clientName}`);
  const action = `${service}:${commandName.replace(/Command$/, "")}`;
  return SPECIAL[action] ?? action;
}

/**
 * Asserts that every command the task sent through these mocks is covered by an action its
 * contract declares: least privilege is derived from the contract, so a missing declaration
 * would be an AccessDenied in production.
 */
/** What the check needs of an aws-sdk-client-mock stub. */
export interface RecordedCalls {
  calls(): readonly { readonly args: readonly unknown[] }[];
}

export function expectCallsDeclared(contract: TaskContract, mocks: Record<string, RecordedCalls>): void {
  const declared = new Set(contract.iam.flatMap((grant) => grant.actions));
  for (const [clientName, mock] of Object.entries(mocks)) {
    for (const call of mock.calls()) {
      const command = (call.args[0] as { constructor: { name: string } }).constructor.name;
      const action = iamActionFor(clientName, command);
      expect(declared.has(action), `${contract.name} sends ${command} but does not declare ${action}`).toBe(true);
    }
  }
}
