import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { BucketName, InstanceId, SsmCommandId } from "../contract/aws-ids.js";

export default defineTaskContract({
  name: "ec2.capture-memory",
  summary: "Capture an instance's memory with SSM Run Command into the evidence bucket, with its SHA-256",
  risk: "read",
  csf: ["RS.AN"],
  input: z.object({
    instanceId: InstanceId,
    /** Defaults to the deployment's evidence bucket; another bucket must be the one the stacks grant as {bucket:evidence}. */
    evidenceBucket: BucketName.optional(),
    /** How long the capture command may run on the instance. */
    timeoutSeconds: z.number().int().min(60).max(3600).default(1800),
  }),
  output: z.object({
    instanceId: InstanceId,
    commandId: SsmCommandId,
    bucket: BucketName,
    key: z.string().min(1).max(1024),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    sizeBytes: z.number().int().min(1),
    completedAt: z.iso.datetime(),
  }),
  // A dedicated document, not AWS-RunShellScript: a role allowed to run any shell on every
  // instance is a remote shell on the fleet. The instance uploads through a presigned URL for one
  // key (the task signs it, hence s3:PutObject), so the compromised instance's own role is never
  // trusted with the evidence bucket; the task then reads back the object's S3-verified SHA-256
  // checksum rather than taking the instance's word for it.
  // A capture can outlast one invocation: the task then fails Transient and its retry resumes
  // waiting on the same command (found with ListCommands) instead of starting a second capture.
  // The document receives `uploadUrl` (the presigned PUT), `evidenceLocation` (s3://bucket/key, for
  // the record and for the retry) and `executionTimeout` (seconds). When S3 holds no SHA-256 for
  // the object (a streamed PUT gets only S3's default CRC), the task hashes the stored bytes itself.
  // DescribeInstances tells a missing instance (NotFound) from an unmanaged one, and reads its
  // state and exempt tags before anything is loaded into its kernel.
  iam: [
    {
      actions: ["ssm:DescribeInstanceInformation", "ssm:ListCommands", "ssm:GetCommandInvocation"],
      resources: ["*"],
    },
    { actions: ["ec2:DescribeInstances"], resources: ["*"] },
    {
      actions: ["ssm:SendCommand"],
      resources: [
        "arn:{partition}:ssm:{region}:{account}:document/irflow-capture-memory",
        "arn:{partition}:ec2:{region}:{account}:instance/*",
      ],
    },
    { actions: ["s3:PutObject", "s3:GetObject"], resources: ["{bucket:evidence}/*"] },
  ],
  evidence: { captures: ["ec2-instance-memory"] },
  timeoutSeconds: 900,
});
