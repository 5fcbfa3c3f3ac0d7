import { GenerateCredentialReportCommand, GetCredentialReportCommand, IAMClient } from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseCsv } from "../../../functions/iam/credential-report.js";
import contract from "../../../functions/iam/find-users-without-mfa.contract.js";
import task from "../../../functions/iam/find-users-without-mfa.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness, NOW } from "../../support/task-harness.js";

const iam = mockClient(IAMClient);
const DAY = 86_400_000;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString().replace(".000Z", "+00:00");
const GENERATED = new Date("2026-11-24T11:58:00.000Z");

const HEADER = [
  "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed", "password_next_rotation", "mfa_active",
  "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
  "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date", "access_key_2_last_used_region", "access_key_2_last_used_service",
  "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
];

function row(fields: Partial<Record<(typeof HEADER)[number], string>>): string {
  const user = fields.user ?? "";
  const cells: Record<string, string> = {
    arn: `arn:aws:iam::123456789012:user/${user}`,
    user_creation_time: daysAgo(400),
    password_enabled: "false",
    password_last_used: "N/A",
    password_last_changed: "N/A",
    password_next_rotation: "N/A",
    mfa_active: "false",
    ...fields,
  };
  return HEADER.map((name) => cells[name] ?? "N/A")
    .map((cell) => (/[",\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell))
    .join(",");
}

const REPORT = [
  HEADER.join(","),
  row({ user: "<root_account>", arn: "arn:aws:iam::123456789012:root", password_enabled: "not_supported", password_last_changed: "not_supported", mfa_active: "true" }),
  row({ user: "alice", password_enabled: "true", password_last_changed: daysAgo(30), password_last_used: "2026-11-23T08:15:00+00:00" }),
  // A user name with a comma is quoted; a naive split would shift every column after it.
  row({ user: "ops,admin", password_enabled: "true", password_last_changed: daysAgo(3), password_last_used: "no_information" }),
  row({ user: "bob", password_enabled: "true", password_last_changed: daysAgo(300), mfa_active: "true" }),
  row({ user: "svc-deploy", password_enabled: "false" }),
  row({ user: "carol", user_creation_time: daysAgo(7), password_enabled: "true" }),
].join("\n");

const report = (csv: string) => ({ Content: new TextEncoder().encode(csv), ReportFormat: "text/csv" as const, GeneratedTime: GENERATED });

describe("iam.find-users-without-mfa", () => {
  beforeEach(() => {
    iam.reset();
    iam.on(GenerateCredentialReportCommand)
      .resolvesOnce({ State: "STARTED" })
      .resolvesOnce({ State: "INPROGRESS" })
      .resolves({ State: "COMPLETE" });
    iam.on(GetCredentialReportCommand).resolves(report(REPORT));
  });
  afterEach(() => expectCallsDeclared(contract, { IAMClient: iam }));

  it("waits for the credential report, then lists console users without MFA and those past the grace period", async () => {
    const h = harness(task);
    const output = await h.run({});
    expect(output).toEqual({
      users: [
        { userName: "alice", passwordAgeDays: 30, passwordLastUsedAt: "2026-11-23T08:15:00.000Z" },
        { userName: "carol", passwordAgeDays: 7 },
        { userName: "ops,admin", passwordAgeDays: 3 },
      ],
      overdue: [
        { userName: "alice", passwordAgeDays: 30, passwordLastUsedAt: "2026-11-23T08:15:00.000Z" },
        { userName: "carol", passwordAgeDays: 7 },
      ],
      rootMfaActive: true,
      reportGeneratedAt: GENERATED.toISOString(),
      truncated: false,
    });
    expect(iam.commandCalls(GenerateCredentialReportCommand)).toHaveLength(3);
    expect(h.sleeps).toEqual([1000, 2000]);
    expect(h.journal.all()[0]!.changes).toEqual([]);
  });

  it("takes the grace period from the input", async () => {
    const output = await harness(task).run({ graceDays: 31 });
    expect(output.overdue).toEqual([]);
    const none = await harness(task).run({ graceDays: 0 }, { incidentId: "inc-20261124-0002abcd" });
    expect((none.overdue as unknown[]).length).toBe(3);
  });

  it("reports the root user's MFA on its own, never as a user", async () => {
    iam.on(GetCredentialReportCommand).resolves(report(REPORT.replace(/(<root_account>.*?)true(,)/, "$1false$2")));
    const output = await harness(task).run({});
    expect(output.rootMfaActive).toBe(false);
    expect((output.users as { userName: string }[]).map((u) => u.userName)).not.toContain("<root_account>");
  });

  it("gives up, as Transient so the state machine retries, when the report stays in progress", async () => {
    iam.on(GenerateCredentialReportCommand).resolves({ State: "INPROGRESS" });
    const h = harness(task);
    await expect(h.run({})).rejects.toMatchObject({ name: "Transient" });
    expect(h.sleeps.length).toBeLessThanOrEqual(20);
    expect(h.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(200_000);
    expect(iam.commandCalls(GetCredentialReportCommand)).toHaveLength(0);
  });

  it("treats a report regenerated under it as Transient", async () => {
    iam.on(GetCredentialReportCommand).rejects(awsError("CredentialReportNotReadyException", 410));
    await expect(harness(task).run({})).rejects.toMatchObject({ name: "Transient" });
  });

  it("bounds the lists and says when it truncated them", async () => {
    const many = [HEADER.join(","), ...Array.from({ length: 1002 }, (_, i) => row({ user: `user-${i}`, password_enabled: "true", password_last_changed: daysAgo(10) }))].join("\r\n");
    iam.on(GetCredentialReportCommand).resolves(report(many));
    const output = await harness(task).run({});
    expect((output.users as unknown[]).length).toBe(1000);
    expect((output.overdue as unknown[]).length).toBe(1000);
    expect(output.truncated).toBe(true);
    expect(output.rootMfaActive).toBe(false);
  });

  it("runs once per incident and step", async () => {
    const h = harness(task);
    const first = await h.run({});
    expect(await h.run({})).toEqual(first);
    expect(iam.commandCalls(GetCredentialReportCommand)).toHaveLength(1);
  });

  it("maps throttling to Transient", async () => {
    iam.on(GenerateCredentialReportCommand).rejects(awsError("Throttling", 400));
    await expect(harness(task).run({})).rejects.toMatchObject({ name: "Transient" });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ graceDays: -1 })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ graceDays: 1.5 })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(iam.calls()).toHaveLength(0);
  });
});

describe("parseCsv", () => {
  it("handles quoted fields with commas, doubled quotes, line breaks and CRLF", () => {
    expect(parseCsv('a,b,c\r\n"x,1","say ""hi""","two\nlines"\r\nlast,,\n')).toEqual([
      ["a", "b", "c"],
      ["x,1", 'say "hi"', "two\nlines"],
      ["last", "", ""],
    ]);
  });

  it("refuses a report that ends inside a quoted field", () => {
    expect(() => parseCsv('a,"b')).toThrow(/quoted/);
  });
});
