import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { IncidentId } from "../incident/document.js";

/**
 * The last state of every post-incident phase, also after a failed or rejected phase: writes the
 * post-incident report and metrics from the incident record, and marks the incident closed.
 */
export default defineTaskContract({
  name: "audit.close-incident",
  summary: "Write the post-incident report and metrics, and close the incident",
  risk: "read",
  csf: ["RS.MA", "ID.IM"],
  input: z.object({
    incidentId: IncidentId,
    /** The incident document as the phase ends; its `failure` says whether an earlier phase failed. */
    document: z.record(z.string(), z.unknown()),
  }),
  output: z.object({
    reportLocation: z.string(),
    status: z.enum(["resolved", "failed"]),
  }),
  iam: [
    { actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"], resources: ["{table:incidents}"] },
    // The audit log (list, read, append) and the reports, all in the audit bucket.
    { actions: ["s3:ListBucket"], resources: ["{bucket:audit}"] },
    { actions: ["s3:GetObject", "s3:PutObject", "s3:PutObjectRetention"], resources: ["{bucket:audit}/*"] },
  ],
});
