import { randomInt } from "node:crypto";
import { CreateLoginProfileCommand, GetAccountPasswordPolicyCommand, IAMClient, type PasswordPolicy } from "@aws-sdk/client-iam";
import { aws } from "../contract/aws-errors.js";
import type { Change } from "../contract/changes.js";
import { isTaskError } from "../contract/errors.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import contract from "./enable-console-login.contract.js";
import { guardedLoginProfile } from "./login-profile.js";

const UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ";
const LOWER = "abcdefghijkmnopqrstuvwxyz";
const DIGITS = "23456789";
// The non-alphanumeric characters IAM password policies count as symbols.
const SYMBOLS = "!@#$%^&*()_+-=[]{}|'";
const ALL = UPPER + LOWER + DIGITS + SYMBOLS;
const IAM_MAX_PASSWORD = 128;
const MIN_LENGTH = 32;

const pick = (alphabet: string) => alphabet[randomInt(alphabet.length)]!;

/** A password from the CSPRNG with every character class, as long as the policy asks and at least 32. */
function generatePassword(policy: PasswordPolicy | undefined): string {
  const length = Math.min(IAM_MAX_PASSWORD, Math.max(MIN_LENGTH, policy?.MinimumPasswordLength ?? 0));
  const chars = [pick(UPPER), pick(LOWER), pick(DIGITS), pick(SYMBOLS)];
  while (chars.length < length) chars.push(pick(ALL));
  for (let i = chars.length - 1; i > 0; i -= 1) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join("");
}

/** The account's password policy, or undefined when the account has none (IAM answers NoSuchEntity). */
async function passwordPolicy(ctx: TaskContext): Promise<PasswordPolicy | undefined> {
  try {
    return (await aws("GetAccountPasswordPolicy", () => ctx.aws(IAMClient).send(new GetAccountPasswordPolicyCommand({})))).PasswordPolicy;
  } catch (error) {
    if (isTaskError(error) && error.name === "NotFound") return undefined;
    throw error;
  }
}

function creation(userName: string): Change {
  return { resource: `user/${userName}`, action: "CreateLoginProfile", before: { loginProfile: false }, after: { loginProfile: true, passwordResetRequired: true } };
}

export default implementTask(contract, {
  async plan({ userName }, ctx) {
    const profile = await guardedLoginProfile(userName, ctx);
    if (profile) return { changes: [], summary: `${userName} already has a console password; it stays as it is` };
    return { changes: [creation(userName)], summary: `give ${userName} a random console password that must be reset at first sign-in (handed out of band)` };
  },

  async run({ userName }, ctx) {
    const unchanged = { output: { userName, created: false, passwordResetRequired: true as const }, changes: [] };
    if (await guardedLoginProfile(userName, ctx)) return { ...unchanged, summary: `${userName} already had a console password; nothing changed` };
    const policy = await passwordPolicy(ctx);
    if (policy && policy.AllowUsersToChangePassword === false) {
      // Without iam:ChangePassword of their own the user cannot do the reset and stays locked out.
      ctx.log.warn("the account password policy does not let users change their own password; the user needs iam:ChangePassword to complete the reset", { userName });
    }
    try {
      // The password exists only in this call: never in the output, the record or a log line.
      await aws(`CreateLoginProfile ${userName}`, () =>
        ctx.aws(IAMClient).send(new CreateLoginProfileCommand({ UserName: userName, Password: generatePassword(policy), PasswordResetRequired: true })),
      );
    } catch (error) {
      if (isTaskError(error) && error.detail === "EntityAlreadyExistsException") {
        return { ...unchanged, summary: `${userName} got a console password concurrently; nothing changed` };
      }
      throw error;
    }
    return {
      output: { userName, created: true, passwordResetRequired: true as const },
      changes: [creation(userName)],
      undo: { task: "iam.disable-console-login", input: { userName } },
      summary: `gave ${userName} a random console password that must be reset at first sign-in; an administrator sets and hands out the password out of band`,
    };
  },
});
