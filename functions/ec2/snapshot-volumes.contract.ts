import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { InstanceId, SnapshotId, VolumeId } from "../contract/aws-ids.js";

/**
 * Evidence snapshots of every EBS volume attached to an instance, tagged with the incident and
 * step from the task context (so the incident id is not an input). Creating a snapshot changes no
 * existing resource, hence read.
 */
export default defineTaskContract({
  name: "ec2.snapshot-volumes",
  summary: "Snapshot every EBS volume of an instance as evidence, tagged with the incident",
  risk: "read",
  csf: ["RS.AN"],
  input: z.object({
    instanceId: InstanceId,
  }),
  output: z.object({
    instanceId: InstanceId,
    snapshots: z
      .array(
        z.object({
          volumeId: VolumeId,
          snapshotId: SnapshotId,
          deviceName: z.string().regex(/^[A-Za-z0-9/]{1,32}$/),
        }),
      )
      .min(1)
      .max(128),
    startedAt: z.iso.datetime(),
  }),
  // CreateSnapshots (plural) takes all volumes at one instant, crash-consistent across volumes;
  // per-volume CreateSnapshot calls would not be. Snapshot ARNs carry no account. A retry finds the
  // snapshots already tagged for this incident and step (DescribeSnapshots) instead of taking more.
  iam: [
    { actions: ["ec2:DescribeInstances", "ec2:DescribeSnapshots"], resources: ["*"] },
    {
      actions: ["ec2:CreateSnapshots"],
      resources: [
        "arn:{partition}:ec2:{region}:{account}:instance/*",
        "arn:{partition}:ec2:{region}:{account}:volume/*",
        "arn:{partition}:ec2:{region}::snapshot/*",
      ],
    },
    {
      actions: ["ec2:CreateTags"],
      resources: ["arn:{partition}:ec2:{region}::snapshot/*"],
      conditions: { StringEquals: { "ec2:CreateAction": "CreateSnapshots" } },
    },
    // CreateSnapshots gives every snapshot the same tags; the source volume, which differs per
    // snapshot, is tagged afterwards, and only that key may be written outside the creation.
    {
      actions: ["ec2:CreateTags"],
      resources: ["arn:{partition}:ec2:{region}::snapshot/*"],
      conditions: { "ForAllValues:StringEquals": { "aws:TagKeys": ["irflow:source-volume"] } },
    },
  ],
  evidence: { captures: ["ec2-instance-disk"] },
});
