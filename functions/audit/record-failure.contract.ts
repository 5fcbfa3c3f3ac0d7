import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { IncidentId, StepId } from "../incident/document.js";

/** Records why a step stopped (error, rejection, approval timeout) before its phase fails. */
export default defineTaskContract({
  name: "audit.record-failure",
  summary: "Record a failed, rejected or timed-out step in the incident record",
  risk: "read",
  csf: ["RS.MA"],
  input: z.object({
    incidentId: IncidentId,
    stepId: StepId,
    error: z.object({ Error: z.string(), Cause: z.string().optional() }),
  }),
  output: z.object({ recorded: z.boolean() }),
  iam: [{ actions: ["s3:PutObject"], resources: ["{bucket:audit}/*"] }, { actions: ["dynamodb:UpdateItem"], resources: ["{table:incidents}"] }],
});
