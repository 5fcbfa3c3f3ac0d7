import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { Risk } from "../contract/task-contract.js";
import { IncidentId, StepId, ExecutionArn, PlanSummary } from "../incident/document.js";

/**
 * The callback task behind every `Approve …` state. It stores the pending approval (with the task
 * token, which never leaves the store) and notifies approvers; Step Functions waits until the
 * respond path calls SendTaskSuccess or SendTaskFailure(Rejected), or the state times out.
 */
export default defineTaskContract({
  name: "approval.request",
  summary: "Store a pending approval for a risky step and notify its approvers",
  risk: "read",
  csf: ["RS.MA"],
  input: z.object({
    taskToken: z.string().min(1),
    incidentId: IncidentId,
    executionId: ExecutionArn,
    runbookId: z.string(),
    stepId: StepId,
    stepTitle: z.string(),
    task: z.string(),
    risk: Risk,
    /** One plan, or one per item of a `foreach` step; approvers see and confirm all of them. */
    plans: z.array(PlanSummary).min(1),
    approvers: z.array(z.string()).min(1),
    requiredApprovals: z.number().int().min(1).max(2),
    timeoutSeconds: z.number().int().positive(),
    onTimeout: z.enum(["abort", "escalate", "proceed"]),
    escalation: z.boolean(),
  })
    // The compiler refuses this too; a hand-edited definition must not turn silence into consent.
    .refine((request) => !(request.risk === "destructive" && request.onTimeout === "proceed"), {
      path: ["onTimeout"],
      message: "a destructive step cannot proceed when nobody answers (use abort or escalate)",
    }),
  output: z.object({
    approvalId: z.string(),
    approvers: z.array(z.string()),
    decidedAt: z.string(),
  }),
  iam: [
    { actions: ["dynamodb:PutItem"], resources: ["{table:approvals}"] },
    { actions: ["dynamodb:GetItem"], resources: ["{table:incidents}"] },
    { actions: ["sns:Publish"], resources: ["{topic:approvals}"] },
  ],
});
