import type { Change } from "../contract/changes.js";
import { preconditionFailed } from "../contract/errors.js";
import { assertNotExempt } from "../contract/guards.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import contract from "./remove-session-revocation.contract.js";
import { deleteInlinePolicy, describePrincipal, getInlinePolicy, principalTags, type Principal } from "./principals.js";
import { revocationCutoff } from "./session-revocation.js";

function principalOf(input: { userName?: string | undefined; roleName?: string | undefined }): Principal {
  return input.userName !== undefined ? { kind: "user", name: input.userName } : { kind: "role", name: input.roleName! };
}

/** The cut-off of the revocation to remove, or undefined when the policy is already gone. */
async function inspect(p: Principal, policyName: string, ctx: TaskContext): Promise<Date | undefined> {
  assertNotExempt(describePrincipal(p), await principalTags(p, ctx), ctx);
  const document = await getInlinePolicy(p, policyName, ctx);
  if (document === undefined) return undefined;
  const cutoff = revocationCutoff(document);
  if (!cutoff) throw preconditionFailed(`${policyName} on ${describePrincipal(p)} is not a session revocation (a Deny of everything on aws:TokenIssueTime); irflow will not delete it`, policyName);
  return cutoff;
}

function removal(p: Principal, policyName: string, cutoff: Date): Change {
  return {
    resource: `${p.kind}/${p.name}`,
    action: `${p.kind === "user" ? "DeleteUserPolicy" : "DeleteRolePolicy"} ${policyName}`,
    before: { policyName, revokedBefore: cutoff.toISOString() },
    after: null,
  };
}

export default implementTask(contract, {
  async plan(input, ctx) {
    const p = principalOf(input);
    const cutoff = await inspect(p, input.policyName, ctx);
    if (!cutoff) return { changes: [], summary: `${describePrincipal(p)} has no ${input.policyName}; nothing to remove` };
    return {
      changes: [removal(p, input.policyName, cutoff)],
      summary: `remove ${input.policyName} from ${describePrincipal(p)}: sessions issued before ${cutoff.toISOString()} that have not expired work again`,
    };
  },

  async run(input, ctx) {
    const p = principalOf(input);
    const cutoff = await inspect(p, input.policyName, ctx);
    const who = p.kind === "user" ? { userName: p.name } : { roleName: p.name };
    const removed = cutoff ? await deleteInlinePolicy(p, input.policyName, ctx) : false;
    if (!cutoff || !removed) {
      return {
        output: { ...who, policyName: input.policyName, removed: false, ...(cutoff ? { revokedBefore: cutoff.toISOString() } : {}) },
        changes: [],
        summary: `${describePrincipal(p)} already had no ${input.policyName}; nothing changed`,
      };
    }
    return {
      output: { ...who, policyName: input.policyName, removed: true, revokedBefore: cutoff.toISOString() },
      changes: [removal(p, input.policyName, cutoff)],
      summary: `removed ${input.policyName} from ${describePrincipal(p)}; sessions issued before ${cutoff.toISOString()} that have not expired work again`,
    };
  },
});
