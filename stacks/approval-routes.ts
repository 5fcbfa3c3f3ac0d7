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

/**
 * The incidents routes, on the same API and also IAM-authorized, served by
 * `functions/detect/start-incident.handler.ts`: the only way responders start a manual incident
 * (they are denied `states:StartExecution`), so the starter is the signature's identity.
 */
export const INCIDENT_ROUTES = [{ method: "POST", path: "/incidents", summary: "start a runbook's incident by hand (runbooks with a manual trigger)" }] as const;

export interface ApiRoute {
  readonly method: string;
  readonly path: string;
}

/** API Gateway's route key: `POST /approvals/{id}/approve`. */
export const routeKey = (route: ApiRoute): string => `${route.method} ${route.path}`;

/** The route as an execute-api resource path (`POST/approvals/*\/approve`), for IAM policies. */
export const routeResource = (route: ApiRoute): string => `${route.method}${route.path.replace(/\{[^}]+\}/g, "*")}`;
