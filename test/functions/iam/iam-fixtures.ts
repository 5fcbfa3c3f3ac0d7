import type { Role, Tag, User } from "@aws-sdk/client-iam";

export const ACCOUNT = "123456789012";

export function role(name: string): Role {
  return { Path: "/", RoleName: name, RoleId: "AROAEXAMPLEROLEID0001", Arn: `arn:aws:iam::${ACCOUNT}:role/${name}`, CreateDate: new Date("2025-01-01T00:00:00Z") };
}

export function user(name: string): User {
  return { Path: "/", UserName: name, UserId: "AIDAEXAMPLEUSERID0001", Arn: `arn:aws:iam::${ACCOUNT}:user/${name}`, CreateDate: new Date("2025-01-01T00:00:00Z") };
}

export function tags(record: Record<string, string>): Tag[] {
  return Object.entries(record).map(([Key, Value]) => ({ Key, Value }));
}

/** A revocation policy as IAM returns it: URL-encoded JSON, as the console writes it. */
export function revocationDocument(cutoff: string): string {
  return encodeURIComponent(
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Deny", Action: ["*"], Resource: ["*"], Condition: { DateLessThan: { "aws:TokenIssueTime": cutoff } } }],
    }),
  );
}

/** The cut-off written into a PolicyDocument sent to IAM, checking it is exactly the revocation shape. */
export function sentCutoff(document: string | undefined): string {
  const parsed = JSON.parse(document ?? "null") as {
    Version: string;
    Statement: { Effect: string; Action: string[]; Resource: string[]; Condition: { DateLessThan: { "aws:TokenIssueTime": string } } }[];
  };
  if (parsed.Version !== "2012-10-17" || parsed.Statement.length !== 1) throw new Error(`unexpected policy ${document}`);
  const [statement] = parsed.Statement;
  if (statement!.Effect !== "Deny" || statement!.Action.join() !== "*" || statement!.Resource.join() !== "*") throw new Error(`not a deny-all: ${document}`);
  return statement!.Condition.DateLessThan["aws:TokenIssueTime"];
}

export const KEY = "AKIAIOSFODNN7EXAMPLE";
export const OTHER_KEY = "AKIAI44QH8DHBEXAMPLE";
export const KEY_CREATED = new Date("2026-08-26T12:00:00.000Z");
export const KEY_LAST_USED = new Date("2026-11-24T09:30:00.000Z");

/** GetAccessKeyLastUsed as IAM answers it: "N/A" for the service and region of a never-used key. */
export function lastUsed(userName: string, used?: { at: Date; service: string; region: string }) {
  return {
    UserName: userName,
    AccessKeyLastUsed: used ? { LastUsedDate: used.at, ServiceName: used.service, Region: used.region } : { ServiceName: "N/A", Region: "N/A" },
  };
}

export function accessKey(userName: string, accessKeyId: string, status: "Active" | "Inactive" | "Expired", created = KEY_CREATED) {
  return { UserName: userName, AccessKeyId: accessKeyId, Status: status, CreateDate: created };
}
