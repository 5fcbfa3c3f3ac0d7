import { implementTask } from "../contract/task.js";
import { planStatusChange, runStatusChange } from "./access-keys.js";
import contract from "./deactivate-access-key.contract.js";

// Never DeleteAccessKey: see the contract.
export default implementTask(contract, {
  plan: (input, ctx) => planStatusChange(input, "Inactive", ctx),
  run: (input, ctx) => runStatusChange(input, "Inactive", "iam.activate-access-key", ctx),
});
