import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { IamUserName } from "../contract/aws-ids.js";

const UserWithoutMfa = z.object({
  userName: IamUserName,
  passwordAgeDays: z.number().int().min(0).optional(),
  passwordLastUsedAt: z.iso.datetime().optional(),
});

export default defineTaskContract({
  name: "iam.find-users-without-mfa",
  summary: "List IAM users with a console password and no MFA, and those past the grace period",
  risk: "read",
  csf: ["DE.AE", "ID.IM"],
  input: z.object({
    /** Days a new console password may go without MFA while its user enrols. */
    graceDays: z.number().int().min(0).max(90).default(7),
  }),
  output: z.object({
    users: z.array(UserWithoutMfa).max(1000),
    /** The subset whose password is older than graceDays. */
    overdue: z.array(UserWithoutMfa).max(1000),
    rootMfaActive: z.boolean(),
    reportGeneratedAt: z.iso.datetime(),
    truncated: z.boolean(),
  }),
  // One credential report answers for every user (and the root user) where per-user calls throttle
  // in large accounts; IAM regenerates it at most every 4 hours, so it can be that old. Only users
  // with a console password count, as in the CIS benchmark.
  iam: [{ actions: ["iam:GenerateCredentialReport", "iam:GetCredentialReport"], resources: ["*"] }],
  timeoutSeconds: 300,
});
