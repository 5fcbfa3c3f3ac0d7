import { implementTask } from "../contract/task.js";
import contract from "./revoke-user-sessions.contract.js";
import { planRevocation, REVOCATION_POLICY_NAME, runRevocation } from "./session-revocation.js";

export default implementTask(contract, {
  plan: ({ userName }, ctx) => planRevocation({ kind: "user", name: userName }, ctx),

  async run({ userName }, ctx) {
    const result = await runRevocation({ kind: "user", name: userName }, ctx);
    return { ...result, output: { userName, policyName: REVOCATION_POLICY_NAME, revokedBefore: result.revokedBefore } };
  },
});
