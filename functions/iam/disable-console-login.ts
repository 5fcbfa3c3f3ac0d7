import { DeleteLoginProfileCommand, IAMClient, type LoginProfile } from "@aws-sdk/client-iam";
import { aws } from "../contract/aws-errors.js";
import type { Change } from "../contract/changes.js";
import { isTaskError } from "../contract/errors.js";
import { implementTask } from "../contract/task.js";
import contract from "./disable-console-login.contract.js";
import { guardedLoginProfile } from "./login-profile.js";

function removal(userName: string, profile: LoginProfile): Change {
  return {
    resource: `user/${userName}`,
    action: "DeleteLoginProfile",
    before: { loginProfile: true, createdAt: profile.CreateDate?.toISOString() ?? null, passwordResetRequired: profile.PasswordResetRequired ?? false },
    after: { loginProfile: false },
  };
}

export default implementTask(contract, {
  async plan({ userName }, ctx) {
    const profile = await guardedLoginProfile(userName, ctx);
    if (!profile) return { changes: [], summary: `${userName} has no console password; nothing to disable` };
    return { changes: [removal(userName, profile)], summary: `delete the console password of ${userName} (set ${profile.CreateDate?.toISOString() ?? "at an unknown time"}); console sessions already open last until they expire` };
  },

  async run({ userName }, ctx) {
    const profile = await guardedLoginProfile(userName, ctx);
    if (!profile) {
      return { output: { userName, hadLoginProfile: false }, changes: [], summary: `${userName} already had no console password; nothing changed` };
    }
    const profileCreatedAt = profile.CreateDate?.toISOString();
    const output = { userName, hadLoginProfile: true, ...(profileCreatedAt ? { profileCreatedAt } : {}) };
    try {
      await aws(`DeleteLoginProfile ${userName}`, () => ctx.aws(IAMClient).send(new DeleteLoginProfileCommand({ UserName: userName })));
    } catch (error) {
      // Deleted between our read and our delete (a concurrent run, an administrator): converged.
      if (isTaskError(error) && error.name === "NotFound") return { output, changes: [], summary: `${userName}'s console password was removed concurrently; nothing changed` };
      throw error;
    }
    return {
      output,
      changes: [removal(userName, profile)],
      undo: { task: "iam.enable-console-login", input: { userName } },
      summary: `deleted the console password of ${userName} (set ${profileCreatedAt ?? "at an unknown time"}); revoke the user's sessions to end open console sessions`,
    };
  },
});
