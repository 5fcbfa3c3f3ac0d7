import { implementTask } from "../contract/task.js";
import contract from "./revoke-role-sessions.contract.js";
import { planRevocation, REVOCATION_POLICY_NAME, runRevocation } from "./session-revocation.js";

export default implementTask(contract, {
  plan: ({ roleName }, ctx) => planRevocation({ kind: "role", name: roleName }, ctx),

  async run({ roleName }, ctx) {
    const result = await runRevocation({ kind: "role", name: roleName }, ctx);
    return { ...result, output: { roleName, policyName: REVOCATION_POLICY_NAME, revokedBefore: result.revokedBefore } };
  },
});
