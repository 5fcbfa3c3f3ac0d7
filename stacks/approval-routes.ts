/**
 * The approval API's routes: the stacks create exactly these (each with IAM authorization) and
 * `functions/approval/respond.handler.ts` serves them. Answers are POSTs, never GET links (mail
 * scanners follow links; DESIGN.md §6). `{id}` is the approval id, never the task token.
 */
export const APPROVAL_ROUTES = [
  { method: "GET", path: "/approvals", summary: "list pending approvals (the caller sees what it may answer)" },
  { method: "GET", path: "/approvals/{id}", summary: "one approval: step, plans and their digests, approvers, deadline" },
  { method: "POST", path: "/approvals/{id}/approve", summary: "approve; body confirms the plan digests the approver saw, with a reason" },
  { method: "POST", path: "/approvals/{id}/reject", summary: "reject with a reason (the step fails with Rejected)" },
] as const;

export type ApprovalRoute = (typeof APPROVAL_ROUTES)[number];

/** API Gateway's route key: `POST /approvals/{id}/approve`. */
export const routeKey = (route: ApprovalRoute): string => `${route.method} ${route.path}`;

/** The route as an execute-api resource path (`POST/approvals/*\/approve`), for IAM policies. */
export const routeResource = (route: ApprovalRoute): string => `${route.method}${route.path.replace(/\{[^}]+\}/g, "*")}`;
