import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { ExecutionArn, IncidentDocument } from "../incident/document.js";

/**
 * The first state of every detect phase: normalises the triggering event (GuardDuty finding,
 * CloudTrail event, Config change, flow-log record, schedule or manual start) into the incident
 * document, and opens the incident with a conditional write so that a duplicate event joins the
 * incident already open for the same finding or resource instead of starting a second response.
 *
 * It runs before there is an incident id (so without the step journal): the incidents table makes
 * it idempotent instead. One incident per dedupe key (see dedupe-key.ts) and 24-hour window; an
 * event id is recorded once; a retry of the opening execution gets the same incident back with
 * `duplicate: false`. A refused event (InvalidInput) writes nothing and is logged at warn.
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
  ],
});
