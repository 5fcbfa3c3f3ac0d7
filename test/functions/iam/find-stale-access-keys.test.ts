import { GetAccessKeyLastUsedCommand, IAMClient, ListAccessKeysCommand, ListUsersCommand, type AccessKeyMetadata } from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/iam/find-stale-access-keys.contract.js";
import task from "../../../functions/iam/find-stale-access-keys.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness, NOW } from "../../support/task-harness.js";
import { lastUsed, user } from "./iam-fixtures.js";

const iam = mockClient(IAMClient);
const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY);
const keyId = (n: number) => `AKIA${String(n).padStart(16, "0")}`;
const LAST_USE = new Date("2026-11-20T00:00:00.000Z");

/** Each user's keys, served to ListAccessKeys by user name. */
function serveKeys(keys: Record<string, { id: string; status: "Active" | "Inactive"; ageDays: number }[]>): void {
  iam.on(ListAccessKeysCommand).callsFake((input: { UserName: string }) => {
    if (!(input.UserName in keys)) throw awsError("NoSuchEntityException", 404);
    const metadata: AccessKeyMetadata[] = keys[input.UserName]!.map((k) => ({ UserName: input.UserName, AccessKeyId: k.id, Status: k.status, CreateDate: daysAgo(k.ageDays) }));
    return { AccessKeyMetadata: metadata, IsTruncated: false };
  });
}

describe("iam.find-stale-access-keys", () => {
  beforeEach(() => {
    iam.reset();
    iam.on(ListUsersCommand)
      .resolvesOnce({ Users: [user("alice"), user("bob")], IsTruncated: true, Marker: "page-2" })
      .resolvesOnce({ Users: [user("carol"), user("dave")], IsTruncated: false });
    serveKeys({
      alice: [
        { id: keyId(1), status: "Active", ageDays: 100 },
        { id: keyId(2), status: "Active", ageDays: 85 },
      ],
      bob: [
        { id: keyId(3), status: "Inactive", ageDays: 400 },
        { id: keyId(4), status: "Active", ageDays: 79 },
      ],
      carol: [
        { id: keyId(5), status: "Active", ageDays: 200 },
        { id: keyId(6), status: "Active", ageDays: 90 },
      ],
      dave: [{ id: keyId(7), status: "Active", ageDays: 80 }],
    });
    iam.on(GetAccessKeyLastUsedCommand).callsFake((input: { AccessKeyId: string }) => (input.AccessKeyId === keyId(5) ? lastUsed("carol", { at: LAST_USE, service: "ec2", region: "us-east-1" }) : lastUsed("x")));
  });
  afterEach(() => expectCallsDeclared(contract, { IAMClient: iam }));

  it("sorts active keys into deactivate (≥ 90 days, oldest first) and warn (≥ 80), skipping inactive ones", async () => {
    const h = harness(task);
    const output = await h.run({});
    expect(output).toEqual({
      deactivate: [
        { userName: "carol", accessKeyId: keyId(5), ageDays: 200, lastUsedAt: LAST_USE.toISOString() },
        { userName: "alice", accessKeyId: keyId(1), ageDays: 100 },
        { userName: "carol", accessKeyId: keyId(6), ageDays: 90 },
      ],
      warn: [
        { userName: "alice", accessKeyId: keyId(2), ageDays: 85 },
        { userName: "dave", accessKeyId: keyId(7), ageDays: 80 },
      ],
      usersChecked: 4,
      truncated: false,
    });
    expect(iam.commandCalls(ListUsersCommand).map((c) => c.args[0].input)).toEqual([{ MaxItems: 1000 }, { MaxItems: 1000, Marker: "page-2" }]);
    expect(iam.commandCalls(ListAccessKeysCommand)).toHaveLength(4);
    // Last use is looked up only for the keys reported.
    expect(iam.commandCalls(GetAccessKeyLastUsedCommand)).toHaveLength(5);
    expect(h.journal.all()[0]!.changes).toEqual([]);
  });

  it("takes the thresholds from the input", async () => {
    const output = await harness(task).run({ warnAfterDays: 150, deactivateAfterDays: 365 });
    expect(output).toMatchObject({ deactivate: [], warn: [{ accessKeyId: keyId(5), ageDays: 200 }] });
  });

  it("refuses warnAfterDays not below deactivateAfterDays, and other bad input, before any AWS call", async () => {
    await expect(harness(task).run({ warnAfterDays: 90, deactivateAfterDays: 90 })).rejects.toMatchObject({ name: "InvalidInput", message: expect.stringContaining("warnAfterDays") });
    await expect(harness(task).run({ warnAfterDays: 100 })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ warnAfterDays: 0 })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ deactivateAfterDays: "90" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(iam.calls()).toHaveLength(0);
  });

  it("skips a user deleted during the scan instead of failing it", async () => {
    iam.on(ListUsersCommand).resolves({ Users: [user("alice"), user("ghost")], IsTruncated: false });
    const output = await harness(task).run({});
    expect(output).toMatchObject({ usersChecked: 2, deactivate: [{ accessKeyId: keyId(1) }] });
  });

  it("bounds the lists and says when it truncated them, keeping the oldest keys", async () => {
    const names = Array.from({ length: 1005 }, (_, i) => `user-${i}`);
    iam.on(ListUsersCommand).resolves({ Users: names.map((n) => user(n)), IsTruncated: false });
    serveKeys(Object.fromEntries(names.map((n, i) => [n, [{ id: keyId(1000 + i), status: "Active" as const, ageDays: 100 + i }]])));
    const output = (await harness(task).run({})) as { deactivate: { ageDays: number }[]; truncated: boolean };
    expect(output.deactivate).toHaveLength(1000);
    expect(output.deactivate[0]!.ageDays).toBe(1104);
    expect(output.truncated).toBe(true);
    expect(iam.commandCalls(GetAccessKeyLastUsedCommand)).toHaveLength(1000);
  });

  it("runs once per incident and step", async () => {
    const h = harness(task);
    const first = await h.run({});
    expect(await h.run({})).toEqual(first);
    expect(iam.commandCalls(ListUsersCommand)).toHaveLength(2);
  });

  it("maps throttling to Transient", async () => {
    iam.on(ListAccessKeysCommand).rejects(awsError("Throttling", 400));
    await expect(harness(task).run({})).rejects.toMatchObject({ name: "Transient" });
  });
});
