import { GetRoleCommand, GetRolePolicyCommand, IAMClient, ListRoleTagsCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/iam/revoke-role-sessions.contract.js";
import task from "../../../functions/iam/revoke-role-sessions.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness, NOW } from "../../support/task-harness.js";
import { revocationDocument, role, sentCutoff, tags } from "./iam-fixtures.js";

const iam = mockClient(IAMClient);
const ROLE = "web-instance-role";
const ARN = `arn:aws:iam::123456789012:role/${ROLE}`;
const POLICY = "AWSRevokeOlderSessions";
const EARLIER = "2026-11-20T08:00:00.000Z";
const LATER = "2026-11-24T13:00:00.000Z";

describe("iam.revoke-role-sessions", () => {
  beforeEach(() => {
    iam.reset();
    iam.on(GetRoleCommand).resolves({ Role: role(ROLE) });
    iam.on(ListRoleTagsCommand).resolves({ Tags: tags({ team: "web" }), IsTruncated: false });
    iam.on(GetRolePolicyCommand).rejects(awsError("NoSuchEntityException", 404));
    iam.on(PutRolePolicyCommand).resolves({});
  });
  afterEach(() => expectCallsDeclared(contract, { IAMClient: iam }));

  it("plans the deny policy and its cut-off without writing anything", async () => {
    const h = harness(task);
    const plan = await h.plan({ roleName: ROLE });
    expect(plan.changes).toBe(1);
    expect(plan.summary).toContain(NOW.toISOString());
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    expect(iam.commandCalls(GetRolePolicyCommand)[0]!.args[0].input).toEqual({ RoleName: ROLE, PolicyName: POLICY });
    expect(h.journal.all()[0]!.changes).toEqual([{ resource: ARN, action: `PutRolePolicy ${POLICY}`, before: null, after: { revokedBefore: NOW.toISOString() } }]);
  });

  it("denies every session issued before now with the console's policy, and records the undo", async () => {
    const h = harness(task);
    const output = await h.run({ roleName: ROLE });
    expect(output).toEqual({ roleName: ROLE, policyName: POLICY, revokedBefore: NOW.toISOString() });
    const put = iam.commandCalls(PutRolePolicyCommand);
    expect(put).toHaveLength(1);
    expect(put[0]!.args[0].input).toMatchObject({ RoleName: ROLE, PolicyName: POLICY });
    expect(sentCutoff(put[0]!.args[0].input.PolicyDocument)).toBe(NOW.toISOString());
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([{ resource: ARN, action: `PutRolePolicy ${POLICY}`, before: null, after: { revokedBefore: NOW.toISOString() } }]);
    expect(record!.undo).toEqual({ task: "iam.remove-session-revocation", input: { roleName: ROLE, policyName: POLICY } });
  });

  it("moves an earlier cut-off forward, and leaves it to survive Recover (no undo)", async () => {
    iam.on(GetRolePolicyCommand).resolves({ RoleName: ROLE, PolicyName: POLICY, PolicyDocument: revocationDocument(EARLIER) });
    const h = harness(task);
    await h.run({ roleName: ROLE });
    expect(sentCutoff(iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input.PolicyDocument)).toBe(NOW.toISOString());
    const [record] = h.journal.all();
    expect(record!.changes[0]).toMatchObject({ before: { revokedBefore: EARLIER }, after: { revokedBefore: NOW.toISOString() } });
    expect(record!.undo).toBeUndefined();
  });

  it("never loosens: a later cut-off already in place is kept and nothing changes", async () => {
    iam.on(GetRolePolicyCommand).resolves({ RoleName: ROLE, PolicyName: POLICY, PolicyDocument: revocationDocument(LATER) });
    const h = harness(task);
    expect((await h.plan({ roleName: ROLE })).changes).toBe(0);
    const output = await h.run({ roleName: ROLE }, { stepId: "contain/revoke-again" });
    expect(output.revokedBefore).toBe(LATER);
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    const run = h.journal.all().find((r) => r.mode === "run")!;
    expect(run.changes).toEqual([]);
    expect(run.summary).toMatch(/already/);
    expect(run.undo).toBeUndefined();
  });

  it("runs once per incident and step: a repeat returns the recorded result without writing again", async () => {
    const h = harness(task);
    const first = await h.run({ roleName: ROLE });
    const second = await h.run({ roleName: ROLE });
    expect(second).toEqual(first);
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(1);
  });

  it("a fresh step against a role revoked at this instant changes nothing and says so", async () => {
    iam.on(GetRolePolicyCommand).resolves({ RoleName: ROLE, PolicyName: POLICY, PolicyDocument: revocationDocument(NOW.toISOString()) });
    const h = harness(task);
    await h.run({ roleName: ROLE }, { stepId: "contain/second-step" });
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.summary).toMatch(/already denied sessions issued before/);
  });

  it("refuses to overwrite a policy of that name that is not a session revocation", async () => {
    const other = encodeURIComponent(JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "*" }] }));
    iam.on(GetRolePolicyCommand).resolves({ RoleName: ROLE, PolicyName: POLICY, PolicyDocument: other });
    await expect(harness(task).run({ roleName: ROLE })).rejects.toMatchObject({ name: "PreconditionFailed" });
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
  });

  it("maps throttling to Transient", async () => {
    iam.on(PutRolePolicyCommand).rejects(awsError("Throttling", 400));
    await expect(harness(task).run({ roleName: ROLE })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing role as NotFound with its name", async () => {
    iam.on(GetRoleCommand).rejects(awsError("NoSuchEntityException", 404, `The role with name ${ROLE} cannot be found.`));
    await expect(harness(task).run({ roleName: ROLE })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(ROLE) });
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ roleName: "web role; rm -rf /" })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({})).rejects.toMatchObject({ name: "InvalidInput" });
    expect(iam.calls()).toHaveLength(0);
  });

  it("refuses a role tagged exempt (on any page of its tags) unless the step allows it", async () => {
    iam.on(ListRoleTagsCommand)
      .resolvesOnce({ Tags: tags({ team: "web" }), IsTruncated: true, Marker: "page-2" })
      .resolvesOnce({ Tags: tags({ "irflow:exempt": "true" }), IsTruncated: false });
    await expect(harness(task).run({ roleName: ROLE })).rejects.toMatchObject({ name: "PreconditionFailed", message: expect.stringContaining("exempt") });
    expect(iam.commandCalls(ListRoleTagsCommand)[1]!.args[0].input).toEqual({ RoleName: ROLE, Marker: "page-2" });
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
    iam.on(ListRoleTagsCommand).resolves({ Tags: tags({ "irflow:exempt": "true" }) });
    await expect(harness(task).run({ roleName: ROLE }, { allowExempt: true })).resolves.toMatchObject({ roleName: ROLE });
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(1);
  });
});
