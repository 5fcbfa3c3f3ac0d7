import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { GuardDutyDetectorId, GuardDutyFindingId } from "../contract/aws-ids.js";

export default defineTaskContract({
  name: "guardduty.send-feedback",
  summary: "Tell GuardDuty whether a finding was useful",
  risk: "read",
  csf: ["ID.IM"],
  input: z.object({
    detectorId: GuardDutyDetectorId,
    findingId: GuardDutyFindingId,
    feedback: z.enum(["USEFUL", "NOT_USEFUL"]),
    comments: z.string().max(1000).optional(),
  }),
  output: z.object({
    detectorId: GuardDutyDetectorId,
    findingId: GuardDutyFindingId,
    feedback: z.enum(["USEFUL", "NOT_USEFUL"]),
  }),
  iam: [
    {
      actions: ["guardduty:UpdateFindingsFeedback"],
      resources: ["arn:{partition}:guardduty:{region}:{account}:detector/*"],
    },
  ],
});
