import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { GuardDutyDetectorId, GuardDutyFindingId } from "../contract/aws-ids.js";

export default defineTaskContract({
  name: "guardduty.archive-finding",
  summary: "Archive the GuardDuty finding that the incident answered",
  risk: "reversible",
  csf: ["RS.MA"],
  input: z.object({
    detectorId: GuardDutyDetectorId,
    findingId: GuardDutyFindingId,
  }),
  output: z.object({
    detectorId: GuardDutyDetectorId,
    findingId: GuardDutyFindingId,
    /** True when it was archived already (nothing changed). */
    wasArchived: z.boolean(),
  }),
  // In an organization only the GuardDuty administrator account can archive member findings, so
  // this task runs with the administrator's detector.
  iam: [
    {
      actions: ["guardduty:GetFindings", "guardduty:ArchiveFindings"],
      resources: ["arn:{partition}:guardduty:{region}:{account}:detector/*"],
    },
  ],
  plan: "GetFindings (GuardDuty has no DryRun); shows the finding's type, severity and archived state",
  undo: { by: "guardduty.unarchive-finding" },
});
