import { GetLoginProfileCommand, IAMClient, type LoginProfile } from "@aws-sdk/client-iam";
import { aws } from "../contract/aws-errors.js";
import { isTaskError } from "../contract/errors.js";
import { assertNotExempt } from "../contract/guards.js";
import type { TaskContext } from "../contract/task.js";
import { principalTags } from "./principals.js";

/**
 * The user's console password profile, or undefined when there is none. The user's tags are read
 * first: that proves the user exists, since GetLoginProfile answers NoSuchEntity for both a missing
 * user and a user without a password, and it is the exempt guard.
 */
export async function guardedLoginProfile(userName: string, ctx: TaskContext): Promise<LoginProfile | undefined> {
  assertNotExempt(`user ${userName}`, await principalTags({ kind: "user", name: userName }, ctx), ctx);
  try {
    const result = await aws(`GetLoginProfile ${userName}`, () => ctx.aws(IAMClient).send(new GetLoginProfileCommand({ UserName: userName })));
    return result.LoginProfile ?? undefined;
  } catch (error) {
    if (isTaskError(error) && error.name === "NotFound") return undefined;
    throw error;
  }
}
