import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { InstanceId } from "../contract/aws-ids.js";
import { InstanceState } from "./describe-instance.contract.js";

export default defineTaskContract({
  name: "ec2.start-instance",
  summary: "Start a stopped instance",
  risk: "reversible",
  csf: ["RC.RP"],
  input: z.object({
    instanceId: InstanceId,
  }),
  output: z.object({
    instanceId: InstanceId,
    previousState: InstanceState,
    state: InstanceState,
  }),
  // Without kms:CreateGrant an instance with KMS-encrypted volumes goes pending and then back to
  // stopped (Client.InternalError) while StartInstances itself reports success; the task waits
  // for running and reports that case as an error.
  iam: [
    { actions: ["ec2:DescribeInstances"], resources: ["*"] },
    { actions: ["ec2:StartInstances"], resources: ["arn:{partition}:ec2:{region}:{account}:instance/*"] },
    {
      actions: ["kms:CreateGrant"],
      resources: ["arn:{partition}:kms:{region}:{account}:key/*"],
      conditions: { Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
  ],
  plan: "DescribeInstances, then StartInstances with DryRun; shows the state change",
  undo: { by: "ec2.stop-instance" },
});
