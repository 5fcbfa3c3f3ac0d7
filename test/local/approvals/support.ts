import type { ApprovalView } from "../../../functions/approval/approval.js";
import type { Identity } from "../../../functions/approval/identity.js";
import type { ApprovalDesk } from "../../../workflows/local/incident/approval-desk.js";

/** The first approval pending on `desk`, waited for (polled every 10 ms) up to `timeoutMs`. */
export async function pendingOn(desk: Pick<ApprovalDesk, "list">, timeoutMs = 5000): Promise<ApprovalView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [first] = await desk.list();
    if (first) return first;
    if (Date.now() > deadline) throw new Error("no approval came up");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Approves whatever else comes up on `desk` until `run` ends, as carol (and dave where a step needs two), each `as(name)`. */
export async function approveTheRest<T>(desk: Pick<ApprovalDesk, "list" | "approve">, run: Promise<T>, as: (name: string) => Identity): Promise<T> {
  let done = false;
  const result = run.finally(() => (done = true));
  while (!done) {
    for (const pending of await desk.list()) {
      for (const name of ["carol", "dave"].slice(0, pending.requiredApprovals - pending.votes.length)) {
        await desk.approve(pending.id, { as: as(name), reason: "ok", digest: pending.digest }).catch(() => undefined);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return result;
}
