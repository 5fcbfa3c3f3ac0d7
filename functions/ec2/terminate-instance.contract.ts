import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { InstanceId, VolumeId } from "../contract/aws-ids.js";
import { InstanceState } from "./describe-instance.contract.js";

export default defineTaskContract({
  name: "ec2.terminate-instance",
  summary: "Terminate an instance, removing its termination protection and keeping its EBS volumes",
  risk: "destructive",
  csf: ["RS.MI-02"],
  input: z.object({
    instanceId: InstanceId,
  }),
  output: z.object({
    instanceId: InstanceId,
    previousState: InstanceState,
    state: InstanceState,
    /** Whether the task had to remove the protection that isolation set. */
    terminationProtectionRemoved: z.boolean(),
    retainedVolumeIds: z.array(VolumeId).max(128),
  }),
  // Protection is removed by this task, after approval, never by an earlier step: until then it
  // guards against a stray terminate. DeleteOnTermination=false is set again on every EBS volume
  // first; the disk still counts as destroyed, because instance-store volumes are lost regardless
  // and the compiler must see snapshots taken before this step.
  iam: [
    { actions: ["ec2:DescribeInstances"], resources: ["*"] },
    {
      actions: ["ec2:DescribeInstanceAttribute", "ec2:ModifyInstanceAttribute", "ec2:TerminateInstances"],
      // ModifyInstanceAttribute also authorizes on the volumes whose DeleteOnTermination it changes.
      resources: ["arn:{partition}:ec2:{region}:{account}:instance/*", "arn:{partition}:ec2:{region}:{account}:volume/*"],
    },
  ],
  plan: "DescribeInstances and DescribeInstanceAttribute, then TerminateInstances with DryRun; lists the protection change and the volumes kept",
  undo: { none: "a terminated instance cannot be started again; its kept volumes and snapshots remain as evidence" },
  evidence: { destroys: ["ec2-instance-memory", "ec2-instance-disk"] },
});
