import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { GuardDutyDetectorId, GuardDutyFindingId } from "../contract/aws-ids.js";

export default defineTaskContract({
  name: "guardduty.unarchive-finding",
  summary: "Return an archived GuardDuty finding to the active findings",
  risk: "reversible",
  csf: ["RS.MA"],
  input: z.object({
    detectorId: GuardDutyDetectorId,
    findingId: GuardDutyFindingId,
  }),
  output: z.object({
    detectorId: GuardDutyDetectorId,
    findingId: GuardDutyFindingId,
    /** False when it was active already (nothing changed). */
    wasArchived: z.boolean(),
  }),
  iam: [
    {
      actions: ["guardduty:GetFindings", "guardduty:UnarchiveFindings"],
      resources: ["arn:{partition}:guardduty:{region}:{account}:detector/*"],
    },
  ],
  plan: "GetFindings (GuardDuty has no DryRun); shows the finding's type, severity and archived state",
  undo: { by: "guardduty.archive-finding" },
});
