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
  // Appending lists the incident's entries for the head, reads it, and writes the next entry once (IfNoneMatch);
  // PutObjectRetention because an entry may carry its own Object Lock retention.
  iam: [
    { actions: ["s3:ListBucket"], resources: ["{bucket:audit}"] },
    { actions: ["s3:GetObject", "s3:PutObject", "s3:PutObjectRetention"], resources: ["{bucket:audit}/*"] },
  ],
});
