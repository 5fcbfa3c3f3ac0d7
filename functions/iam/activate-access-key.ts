import { implementTask } from "../contract/task.js";
import { planStatusChange, runStatusChange } from "./access-keys.js";
import contract from "./activate-access-key.contract.js";

export default implementTask(contract, {
  plan: (input, ctx) => planStatusChange(input, "Active", ctx),
  run: (input, ctx) => runStatusChange(input, "Active", "iam.deactivate-access-key", ctx),
});
