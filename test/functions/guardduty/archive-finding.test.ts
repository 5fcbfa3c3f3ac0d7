import { ArchiveFindingsCommand, type Finding, GetFindingsCommand, type GetFindingsCommandOutput, GuardDutyClient } from "@aws-sdk/client-guardduty";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/guardduty/archive-finding.contract.js";
import task from "../../../functions/guardduty/archive-finding.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";

const guardduty = mockClient(GuardDutyClient);
const DETECTOR = "12abc34d567e8fa901bc2d34e56789f0";
const FINDING = "6ec5b8a4e2b1c0f3a9d7e6c5b4a39281";
const INPUT = { detectorId: DETECTOR, findingId: FINDING };

function finding(archived: boolean): GetFindingsCommandOutput {
  const finding: Finding = {
    AccountId: "123456789012",
    Arn: `arn:aws:guardduty:us-east-1:123456789012:detector/${DETECTOR}/finding/${FINDING}`,
    CreatedAt: "2026-11-24T11:46:10.123Z",
    UpdatedAt: "2026-11-24T11:51:58.456Z",
    Id: FINDING,
    Region: "us-east-1",
    SchemaVersion: "2.0",
    Resource: { ResourceType: "Instance", InstanceDetails: { InstanceId: "i-0123456789abcdef0" } },
    Type: "Backdoor:EC2/C&CActivity.B",
    Severity: 8,
    Service: { Archived: archived, DetectorId: DETECTOR, ServiceName: "guardduty" },
  };
  return { Findings: [finding], $metadata: {} };
}

describe("guardduty.archive-finding", () => {
  beforeEach(() => guardduty.reset());
  afterEach(() => expectCallsDeclared(contract, { GuardDutyClient: guardduty }));

  it("plans from GetFindings without archiving anything", async () => {
    guardduty.on(GetFindingsCommand).resolves(finding(false));
    const plan = await harness(task).plan(INPUT);
    expect(plan.changes).toBe(1);
    expect(plan.summary).toMatch(/archive .*Backdoor:EC2\/C&CActivity\.B.*severity 8/);
    expect(guardduty.commandCalls(GetFindingsCommand)[0]!.args[0].input).toEqual({ DetectorId: DETECTOR, FindingIds: [FINDING] });
    expect(guardduty.commandCalls(ArchiveFindingsCommand)).toHaveLength(0);
  });

  it("archives an active finding, recording the change and an undo", async () => {
    guardduty.on(GetFindingsCommand).resolves(finding(false));
    guardduty.on(ArchiveFindingsCommand).resolves({});
    const h = harness(task);
    expect(await h.run(INPUT)).toEqual({ detectorId: DETECTOR, findingId: FINDING, wasArchived: false });
    expect(guardduty.commandCalls(ArchiveFindingsCommand)[0]!.args[0].input).toEqual({ DetectorId: DETECTOR, FindingIds: [FINDING] });
    const [record] = h.journal.all().filter((r) => r.mode === "run");
    expect(record!.changes).toEqual([{ resource: FINDING, action: "ArchiveFindings", before: { archived: false }, after: { archived: true } }]);
    expect(record!.undo).toEqual({ task: "guardduty.unarchive-finding", input: INPUT });
  });

  it("runs once per incident and step", async () => {
    guardduty.on(GetFindingsCommand).resolves(finding(false));
    guardduty.on(ArchiveFindingsCommand).resolves({});
    const h = harness(task);
    const first = await h.run(INPUT);
    expect(await h.run(INPUT)).toEqual(first);
    expect(guardduty.commandCalls(ArchiveFindingsCommand)).toHaveLength(1);
    expect(guardduty.commandCalls(GetFindingsCommand)).toHaveLength(1);
  });

  it("changes nothing, and says so, when the finding is already archived", async () => {
    guardduty.on(GetFindingsCommand).resolves(finding(true));
    const h = harness(task);
    expect(await h.run(INPUT)).toEqual({ detectorId: DETECTOR, findingId: FINDING, wasArchived: true });
    expect(guardduty.commandCalls(ArchiveFindingsCommand)).toHaveLength(0);
    const [record] = h.journal.all();
    expect(record!.summary).toMatch(/already archived/);
    expect(record!.changes).toEqual([]);
    expect(record!.undo).toBeUndefined();
  });

  it("maps throttling to Transient", async () => {
    guardduty.on(GetFindingsCommand).rejects(awsError("TooManyRequestsException", 429));
    await expect(harness(task).run(INPUT)).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing finding as NotFound with its id", async () => {
    guardduty.on(GetFindingsCommand).resolves({ Findings: [] });
    await expect(harness(task).run(INPUT)).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(FINDING) });
  });

  it("reports an unknown detector (GuardDuty's BadRequestException) as NotFound with its id", async () => {
    guardduty.on(GetFindingsCommand).rejects(awsError("BadRequestException", 400, "The request is rejected because the input detectorId is not owned by the current account."));
    await expect(harness(task).run(INPUT)).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(DETECTOR) });
    expect(guardduty.commandCalls(ArchiveFindingsCommand)).toHaveLength(0);
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ detectorId: "12abc; rm -rf /", findingId: FINDING })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ detectorId: DETECTOR, findingId: "../../" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(guardduty.calls()).toHaveLength(0);
  });
});
