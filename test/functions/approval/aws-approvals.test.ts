import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { InvalidToken, SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient, TaskTimedOut } from "@aws-sdk/client-sfn";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { ApprovalView, Vote } from "../../../functions/approval/approval.js";
import { DynamoDbApprovals } from "../../../functions/approval/dynamodb-approvals.js";
import { createRemind } from "../../../functions/approval/remind.js";
import { approvalIdFor, createRequestApproval } from "../../../functions/approval/request-approval.js";
import { createRespond } from "../../../functions/approval/respond.js";
import type { HttpApiEvent } from "../../../functions/http/http-api.js";
import type { AuditEntryInput } from "../../../functions/audit/audit-port.js";
import { MemoryStepJournal } from "../../../functions/runtime/step-journal.js";
import { approval, at, DIGEST, lead, request, responder } from "./fixtures.js";

const ddb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);
const sfn = mockClient(SFNClient);
const TOKEN = "secret-task-token-123";
const TOPIC = "arn:aws:sns:us-east-1:123456789012:irflow-approvals";

let audit: (AuditEntryInput & { incidentId: string })[] = [];
const auditor = { append: (incidentId: string, entry: AuditEntryInput) => (audit.push({ incidentId, ...entry }), Promise.resolve()) };

beforeEach(() => {
  ddb.reset();
  sns.reset();
  sfn.reset();
  audit = [];
});

function itemOf(view: ApprovalView, extra: { votes?: Vote[]; status?: string } = {}): Record<string, AttributeValue> {
  return {
    pk: { S: "approvals" },
    sk: { S: `approval#${view.id}` },
    record: { S: JSON.stringify(view) },
    status: { S: extra.status ?? view.status },
    votes: { S: JSON.stringify(extra.votes ?? view.votes) },
  };
}

const approvals = () => new DynamoDbApprovals(new DynamoDBClient({ region: "us-east-1" }), "approvals");
const respond = (now = at(60)) => createRespond({ approvals: approvals(), sfn: new SFNClient({ region: "us-east-1" }), clock: { now: () => now }, audit: auditor });

function post(id: string, kind: "approve" | "reject", body: unknown, arn = lead("alice").actor): HttpApiEvent {
  return { routeKey: `POST /approvals/{id}/${kind}`, pathParameters: { id }, body: JSON.stringify(body), requestContext: { authorizer: { iam: { userArn: arn } } } };
}

const parse = (response: { statusCode: number; body: string }) => ({ status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> });

describe("approval.request in AWS", () => {
  it("stores the approval with its token, the requester from the incident and the plan from the journal; notifies without token or link; audits", async () => {
    ddb.on(GetItemCommand).resolves({ Item: { event: { S: JSON.stringify({ source: "aws.guardduty", detail: {} }) } } });
    ddb.on(PutItemCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    const journal = new MemoryStepJournal();
    await journal.record({ incidentId: request().incidentId, stepId: request().stepId, task: request().task }, { task: "ec2.isolate-instance", mode: "plan", at: at(0).toISOString(), executionId: "x", summary: "s", changes: [{ resource: "i-0abc", action: "ModifyInstanceAttribute groups", before: ["sg-web"], after: ["sg-quarantine"] }], evidence: [], digest: DIGEST });
    const handle = createRequestApproval({ approvals: approvals(), dynamodb: new DynamoDBClient({}), sns: new SNSClient({}), incidentsTable: "incidents", topicArn: TOPIC, journal, clock: { now: () => at(0) }, audit: auditor });

    const result = await handle(request());
    expect(result).toEqual({ approvalId: approvalIdFor(TOKEN), created: true });
    const put = ddb.commandCalls(PutItemCommand)[0]!.args[0].input;
    expect(put.ConditionExpression).toBe("attribute_not_exists(pk)");
    expect(put.Item?.taskToken?.S).toBe(TOKEN);
    const stored = JSON.parse(put.Item!.record!.S!) as ApprovalView;
    expect(stored).toMatchObject({ requester: "event:aws.guardduty", digest: DIGEST, plans: [{ details: [{ before: ["sg-web"], after: ["sg-quarantine"] }] }] });
    expect(put.Item!.record!.S).not.toContain(TOKEN);
    const message = sns.commandCalls(PublishCommand)[0]!.args[0].input;
    expect(message.TopicArn).toBe(TOPIC);
    expect(message.Message).toContain("sg-quarantine");
    expect(message.Message).toContain(`irflow approve ${result.approvalId} --digest ${DIGEST.slice(0, 12)}`);
    expect(message.Message).not.toContain(TOKEN);
    expect(message.Message).not.toMatch(/https?:\/\//);
    expect(audit.map((e) => e.kind)).toEqual(["approval.requested"]);
    expect(JSON.stringify(audit)).not.toContain(TOKEN);
  });

  it("a retried invocation finds the approval it made and notifies once; a manual start is requested by its person; bad payloads are InvalidInput", async () => {
    ddb.on(GetItemCommand).resolves({ Item: { event: { S: JSON.stringify({ source: "irflow.manual", detail: {}, startedBy: "arn:aws:sts::123456789012:assumed-role/IncidentLead/rita" }) } } });
    ddb.on(PutItemCommand).rejects(new ConditionalCheckFailedException({ message: "exists", $metadata: {} }));
    const handle = createRequestApproval({ approvals: approvals(), dynamodb: new DynamoDBClient({}), sns: new SNSClient({}), incidentsTable: "incidents", topicArn: TOPIC, journal: new MemoryStepJournal(), clock: { now: () => at(0) }, audit: auditor });
    expect(await handle(request())).toMatchObject({ created: false });
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(JSON.parse(ddb.commandCalls(PutItemCommand)[0]!.args[0].input.Item!.record!.S!)).toMatchObject({ requester: "arn:aws:sts::123456789012:assumed-role/IncidentLead/rita" });
    await expect(handle({ ...request(), requiredApprovals: 3 })).rejects.toMatchObject({ name: "InvalidInput", message: expect.stringContaining("requiredApprovals") });
  });
});

describe("the respond API", () => {
  it("approves: conditional write on status and vote count, SendTaskSuccess with approvers and reasons, 200, audited", async () => {
    const a = approval();
    ddb.on(GetItemCommand).resolves({ Item: itemOf(a) });
    ddb.on(UpdateItemCommand).resolves({ Attributes: { taskToken: { S: TOKEN } } });
    sfn.on(SendTaskSuccessCommand).resolves({});
    const response = parse(await respond()(post(a.id, "approve", { reason: "host confirmed", digest: DIGEST.slice(0, 12) })));
    expect(response).toMatchObject({ status: 200, body: { status: "approved", approvers: [lead("alice").actor] } });
    const update = ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input;
    expect(update.ConditionExpression).toBe("#status = :pending AND voteCount = :seen AND deadlineMs > :now");
    expect(update.ExpressionAttributeValues?.[":seen"]).toEqual({ N: "0" });
    const success = sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input;
    expect(success.taskToken).toBe(TOKEN);
    expect(JSON.parse(success.output!)).toMatchObject({ approvalId: a.id, approvers: [lead("alice").actor], reasons: ["host confirmed"] });
    expect(audit.map((e) => [e.kind, e.actor])).toEqual([["approval.approved", lead("alice").actor]]);
  });

  it("rejects: SendTaskFailure with error Rejected and the reason", async () => {
    const a = approval();
    ddb.on(GetItemCommand).resolves({ Item: itemOf(a) });
    ddb.on(UpdateItemCommand).resolves({ Attributes: { taskToken: { S: TOKEN } } });
    sfn.on(SendTaskFailureCommand).resolves({});
    expect(parse(await respond()(post(a.id, "reject", { reason: "honeypot" }, lead("bob").actor))).status).toBe(200);
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input).toMatchObject({ taskToken: TOKEN, error: "Rejected", cause: expect.stringContaining("honeypot") });
    expect(audit.map((e) => e.kind)).toEqual(["approval.rejected"]);
  });

  it.each([
    ["an unknown or forged id", undefined, post("apr-forged", "approve", { reason: "x", digest: DIGEST }), 404, "not-found"],
    ["a wrong approver", approval(), post("apr-1", "approve", { reason: "x", digest: DIGEST }, responder("bob").actor), 403, "not-allowed"],
    ["the requester", approval({}, lead("rita").actor), post("apr-1", "approve", { reason: "x", digest: DIGEST }, lead("rita").actor), 403, "requester"],
    ["a digest mismatch", approval(), post("apr-1", "approve", { reason: "x", digest: "0".repeat(12) }), 409, "digest-mismatch"],
    ["a missing reason", approval(), post("apr-1", "approve", { reason: " ", digest: DIGEST }), 400, "reason-required"],
    ["a replay after success", { ...approval(), status: "approved" as const }, post("apr-1", "approve", { reason: "x", digest: DIGEST }), 409, "already-decided"],
    ["an answer after the deadline", approval({ timeoutSeconds: 30 }), post("apr-1", "approve", { reason: "x", digest: DIGEST }), 410, "expired"],
  ])("refuses %s with its own status, audited, never touching Step Functions", async (_name, view, event, status, code) => {
    ddb.on(GetItemCommand).resolves(view ? { Item: itemOf(view) } : {});
    const response = parse(await respond()(event));
    expect(response).toEqual({ status, body: { error: code, message: expect.any(String) } });
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
    if (view) expect(audit).toEqual([expect.objectContaining({ kind: "approval.refused", body: expect.objectContaining({ refusal: code }) })]);
  });

  it("takes the identity from the signature only: an identity in the body, a malformed body or an unsigned call is refused", async () => {
    const a = approval();
    ddb.on(GetItemCommand).resolves({ Item: itemOf(a) });
    expect(parse(await respond()(post(a.id, "approve", { reason: "x", digest: DIGEST, approver: "arn:aws:iam::1:role/IncidentLead" }))).status).toBe(400);
    expect(parse(await respond()({ ...post(a.id, "approve", {}), body: "{not json" }))).toMatchObject({ status: 400, body: { message: "the body is not JSON" } });
    expect(parse(await respond()(post(a.id, "approve", { reason: "x" })))).toMatchObject({ status: 400, body: { message: expect.stringContaining("digest") } });
    expect(parse(await respond()({ ...post(a.id, "approve", { reason: "x", digest: DIGEST }), requestContext: {} })).status).toBe(403);
    expect(sfn.calls()).toHaveLength(0);
  });

  it("a two-person step: the first approval is recorded (202), the same person again is refused, a second person resumes", async () => {
    const a = approval({ requiredApprovals: 2 });
    const first: Vote = { by: lead("alice").actor, reason: "one", at: at(30).toISOString() };
    ddb.on(GetItemCommand).resolvesOnce({ Item: itemOf(a) }).resolvesOnce({ Item: itemOf(a, { votes: [first] }) }).resolves({ Item: itemOf(a, { votes: [first] }) });
    ddb.on(UpdateItemCommand).resolvesOnce({}).resolves({ Attributes: { taskToken: { S: TOKEN } } });
    sfn.on(SendTaskSuccessCommand).resolves({});
    expect(parse(await respond()(post(a.id, "approve", { reason: "one", digest: DIGEST })))).toMatchObject({ status: 202, body: { approvals: 1, required: 2 } });
    expect(sfn.calls()).toHaveLength(0);
    expect(parse(await respond()(post(a.id, "approve", { reason: "again", digest: DIGEST })))).toMatchObject({ status: 409, body: { error: "duplicate-approver" } });
    expect(parse(await respond()(post(a.id, "approve", { reason: "two", digest: DIGEST }, lead("carol").actor))).status).toBe(200);
    expect(JSON.parse(sfn.commandCalls(SendTaskSuccessCommand)[0]!.args[0].input.output!)).toMatchObject({ approvers: [lead("alice").actor, lead("carol").actor] });
  });

  it("two racing answers: the one whose conditional write fails looks again and is refused; Step Functions is told once", async () => {
    const a = approval();
    ddb.on(GetItemCommand).resolvesOnce({ Item: itemOf(a) }).resolves({ Item: itemOf(a, { status: "rejected" }) });
    ddb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} }));
    const response = parse(await respond()(post(a.id, "approve", { reason: "go", digest: DIGEST })));
    expect(response).toMatchObject({ status: 409, body: { error: "already-decided" } });
    expect(sfn.calls()).toHaveLength(0);
    expect(audit.map((e) => e.kind)).toEqual(["approval.refused"]);
  });

  it.each([
    ["TaskTimedOut", new TaskTimedOut({ message: "Task Timed Out", $metadata: {} })],
    ["InvalidToken", new InvalidToken({ message: "Invalid Token", $metadata: {} })],
  ])("an answer the workflow can no longer take (%s) becomes 410 expired and marks the approval expired", async (_name, error) => {
    const a = approval();
    ddb.on(GetItemCommand).resolves({ Item: itemOf(a) });
    ddb.on(UpdateItemCommand).resolves({ Attributes: { taskToken: { S: TOKEN } } });
    sfn.on(SendTaskSuccessCommand).rejects(error);
    expect(parse(await respond()(post(a.id, "approve", { reason: "late", digest: DIGEST })))).toMatchObject({ status: 410, body: { error: "expired" } });
    expect(ddb.commandCalls(UpdateItemCommand)[1]!.args[0].input).toMatchObject({ UpdateExpression: "SET #status = :expired, decidedAt = :at" });
    // The late answer is a refusal in the audit log, never an approval that did not happen.
    expect(audit.map((e) => e.kind)).toEqual(["approval.refused", "approval.expired"]);
  });

  it("lists pending approvals without tokens and shows one", async () => {
    const a = approval();
    ddb.on(QueryCommand).resolves({ Items: [itemOf(a)] });
    ddb.on(GetItemCommand).resolves({ Item: itemOf(a) });
    const list = parse(await respond()({ routeKey: "GET /approvals", requestContext: { authorizer: { iam: { userArn: lead("alice").actor } } } }));
    expect(list).toMatchObject({ status: 200, body: { approvals: [{ id: a.id, digestPrefix: DIGEST.slice(0, 12) }] } });
    expect(ddb.commandCalls(QueryCommand)[0]!.args[0].input.ProjectionExpression).not.toContain("taskToken");
    expect(parse(await respond()({ routeKey: "GET /approvals/{id}", pathParameters: { id: a.id }, requestContext: { authorizer: { iam: { userArn: lead("alice").actor } } } })).status).toBe(200);
  });
});

describe("the reminder sweep", () => {
  it("reminds once at 80% of the wait and expires past the deadline, each with a conditional write and an audit entry", async () => {
    const waiting = { ...approval({ timeoutSeconds: 100 }), id: "apr-wait" };
    const late = { ...approval({ timeoutSeconds: 10 }), id: "apr-late" };
    const fresh = { ...approval({ timeoutSeconds: 1000 }), id: "apr-fresh" };
    ddb.on(QueryCommand).resolves({ Items: [itemOf(waiting), itemOf(late), itemOf(fresh)] });
    ddb.on(UpdateItemCommand).resolves({});
    sns.on(PublishCommand).resolves({});
    const sweep = createRemind({ approvals: approvals(), sns: new SNSClient({}), topicArn: TOPIC, clock: { now: () => at(85) }, audit: auditor });
    expect(await sweep()).toEqual({ reminded: ["apr-wait"], expired: ["apr-late"] });
    expect(sns.commandCalls(PublishCommand)[0]!.args[0].input.Subject).toMatch(/^\[reminder\]/);
    expect(ddb.commandCalls(UpdateItemCommand).map((c) => c.args[0].input.ConditionExpression).sort()).toEqual(["#status = :pending", "#status = :pending AND attribute_not_exists(remindedAt)"]);
    expect(audit.map((e) => e.kind).sort()).toEqual(["approval.expired", "approval.reminded"]);
  });

  it("an overlapping sweep that loses the conditional write neither reminds nor audits again", async () => {
    const waiting = approval({ timeoutSeconds: 100 });
    ddb.on(QueryCommand).resolves({ Items: [itemOf(waiting)] });
    ddb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} }));
    const sweep = createRemind({ approvals: approvals(), sns: new SNSClient({}), topicArn: TOPIC, clock: { now: () => at(85) }, audit: auditor });
    expect(await sweep()).toEqual({ reminded: [], expired: [] });
    expect(sns.calls()).toHaveLength(0);
    expect(audit).toEqual([]);
  });
});
