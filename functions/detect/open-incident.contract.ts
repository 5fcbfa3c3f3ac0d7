import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { ExecutionArn, IncidentDocument } from "../incident/document.js";

/**
 * The first state of every detect phase: normalises the triggering event (GuardDuty finding,
 * CloudTrail event, Config change, flow-log record, schedule or manual start) into the incident
 * document, and opens the incident with a conditional write so that a duplicate event joins the
 * incident already open for the same finding or resource instead of starting a second response.
 */
export default defineTaskContract({
  name: "detect.open-incident",
  summary: "Normalise the triggering event and open (or join) the incident",
  risk: "read",
  csf: ["DE.AE", "RS.MA"],
  input: z.object({
    event: z.record(z.string(), z.unknown()),
    runbook: z.object({ id: z.string(), revision: z.string() }),
    executionId: ExecutionArn,
  }),
  output: IncidentDocument.omit({ step: true, failure: true, closure: true }),
  iam: [
    { actions: ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"], resources: ["{table:incidents}"] },
    { actions: ["s3:PutObject"], resources: ["{bucket:audit}/*"] },
  ],
});
