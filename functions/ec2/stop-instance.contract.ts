import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { InstanceId } from "../contract/aws-ids.js";
import { InstanceState } from "./describe-instance.contract.js";

export default defineTaskContract({
  name: "ec2.stop-instance",
  summary: "Stop an instance (its memory is lost; its EBS volumes stay)",
  risk: "reversible",
  csf: ["RS.MI-01"],
  input: z.object({
    instanceId: InstanceId,
  }),
  output: z.object({
    instanceId: InstanceId,
    previousState: InstanceState,
    state: InstanceState,
  }),
  iam: [
    { actions: ["ec2:DescribeInstances"], resources: ["*"] },
    { actions: ["ec2:StopInstances"], resources: ["arn:{partition}:ec2:{region}:{account}:instance/*"] },
  ],
  plan: "DescribeInstances, then StopInstances with DryRun; shows the state change",
  undo: { by: "ec2.start-instance" },
  evidence: { destroys: ["ec2-instance-memory"] },
});
