import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { ExecutionAlreadyExists, ExecutionLimitExceeded, SendTaskSuccessCommand, SFNClient, StartExecutionCommand, StateMachineDoesNotExist } from "@aws-sdk/client-sfn";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { verifiedRequesterOf, type ApprovalView } from "../../../functions/approval/approval.js";
import { DynamoDbApprovals } from "../../../functions/approval/dynamodb-approvals.js";
import { createRequestApproval } from "../../../functions/approval/request-approval.js";
import { createRespond } from "../../../functions/approval/respond.js";
import type { HttpApiEvent } from "../../../functions/http/http-api.js";
import { createStartIncident, incidentMachinesFrom } from "../../../functions/detect/start-incident.js";
import { normalizeEvent } from "../../../functions/detect/normalize-event.js";
import { MemoryStepJournal } from "../../../functions/runtime/step-journal.js";
import { at, DIGEST, lead, request } from "../approval/fixtures.js";

const sfn = mockClient(SFNClient);
const ddb = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);

const ACCOUNT = "123456789012";
const machineOf = (runbook: string) => `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:irflow-prod-${runbook}-incident`;
const MACHINES = incidentMachinesFrom(
  JSON.stringify({
    machines: { "iam-access-key-compromise": machineOf("iam-access-key-compromise"), "iam-hygiene": machineOf("iam-hygiene") },
    manual: ["iam-access-key-compromise"],
  }),
);
const EVENT_ID = "0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
const ALICE = lead("alice").actor;
const BOB = lead("bob").actor;
const DETAIL = {
  reason: "Secret scanner reported the key in a public repository",
  trigger: { type: "LeakedAccessKey" },
  resource: { kind: "iam-access-key", accessKeyId: "AKIAIOSFODNN7EXAMPLE", userName: "ci-deployer" },
  severity: { label: "high" },
};

let logs: Record<string, unknown>[] = [];
beforeEach(() => {
  sfn.reset();
  ddb.reset();
  sns.reset();
  logs = [];
});

const start = () =>
  createStartIncident({ sfn: new SFNClient({ region: "eu-west-1" }), machines: MACHINES, clock: { now: () => at(0) }, newId: () => EVENT_ID, log: (line) => logs.push(line) });

function post(body: unknown, arn: string | null = ALICE): HttpApiEvent {
  return { routeKey: "POST /incidents", body: typeof body === "string" ? body : JSON.stringify(body), ...(arn ? { requestContext: { authorizer: { iam: { userArn: arn } } } } : {}) };
}
const parse = (response: { statusCode: number; body: string }) => ({ status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> });
const startedInput = (): Record<string, unknown> => JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!) as Record<string, unknown>;

describe("POST /incidents", () => {
  it("starts the runbook's incident machine with the manual event it built, the starter from the signature only", async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: "arn:aws:states:eu-west-1:123456789012:execution:x:manual-1", startDate: at(1) });
    const response = parse(await start()(post({ runbookId: "iam-access-key-compromise", detail: DETAIL })));
    expect(response).toEqual({ status: 202, body: { runbookId: "iam-access-key-compromise", eventId: EVENT_ID, executionArn: expect.stringContaining(":execution:"), startedAt: at(1).toISOString(), startedBy: ALICE } });
    const call = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(call.stateMachineArn).toBe(machineOf("iam-access-key-compromise"));
    expect(call.name).toBe(`manual-${EVENT_ID}`);
    expect(startedInput()).toEqual({
      version: "0",
      id: EVENT_ID,
      "detail-type": "Incident Started",
      source: "irflow.manual",
      account: ACCOUNT,
      time: "2026-11-24T12:00:00Z",
      region: "eu-west-1",
      resources: [],
      detail: DETAIL,
      startedBy: ALICE,
    });
    // The event open-incident receives is one it accepts.
    expect(normalizeEvent(startedInput(), at(0)).trigger).toMatchObject({ source: "manual", type: "LeakedAccessKey", eventId: EVENT_ID });
    expect(verifiedRequesterOf(startedInput())).toBe(ALICE);
    expect(logs).toEqual([expect.objectContaining({ level: "info", startedBy: ALICE, eventId: EVENT_ID })]);
  });

  it("takes the suspect a responder names in detail.actor as detail, not as a claim of who starts", async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: "arn:aws:states:eu-west-1:123456789012:execution:x:manual-1", startDate: at(1) });
    const detail = { ...DETAIL, actor: { userName: "ci-deployer", sourceIp: "198.51.100.7", accessKeyId: "AKIAIOSFODNN7EXAMPLE" } };
    expect(parse(await start()(post({ runbookId: "iam-access-key-compromise", detail })))).toMatchObject({ status: 202, body: { startedBy: ALICE } });
    expect(startedInput()).toMatchObject({ detail, startedBy: ALICE });
    expect(verifiedRequesterOf(startedInput())).toBe(ALICE);
  });

  it("refuses a body that names an identity, anywhere, and an unsigned request; nothing starts", async () => {
    for (const body of [
      { runbookId: "iam-access-key-compromise", detail: { ...DETAIL, requestedBy: BOB } },
      { runbookId: "iam-access-key-compromise", detail: DETAIL, startedBy: BOB },
      { runbookId: "iam-access-key-compromise", detail: DETAIL, requestedBy: BOB },
    ]) {
      const response = parse(await start()(post(body)));
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ error: "bad-request", message: expect.stringMatching(/^body: (detail\.)?(requestedBy|startedBy): who starts an incident comes from the request's signature/) });
    }
    expect(parse(await start()(post({ runbookId: "iam-access-key-compromise", detail: DETAIL }, null)))).toMatchObject({ status: 403, body: { error: "unsigned" } });
    expect(parse(await start()({ ...post({}), routeKey: "GET /incidents" }))).toMatchObject({ status: 404, body: { error: "no-route" } });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it("unknown runbook → 404; a runbook without a manual trigger → 400; malformed detail → 400 naming the field", async () => {
    expect(parse(await start()(post({ runbookId: "no-such-runbook", detail: DETAIL })))).toMatchObject({ status: 404, body: { error: "unknown-runbook" } });
    expect(parse(await start()(post({ runbookId: "iam-hygiene", detail: DETAIL })))).toMatchObject({ status: 400, body: { error: "not-manual", message: expect.stringContaining("no manual trigger") } });
    const cases: [unknown, RegExp][] = [
      [{ runbookId: "iam-access-key-compromise", detail: { ...DETAIL, resource: { kind: "iam-access-key", accessKeyId: "not-a-key" } } }, /detail\.resource\.accessKeyId/],
      [{ runbookId: "iam-access-key-compromise", detail: { ...DETAIL, severity: { label: "apocalyptic" } } }, /detail\.severity\.label/],
      [{ runbookId: "iam-access-key-compromise", detail: { ...DETAIL, resourse: {} } }, /detail: .*resourse/],
      [{ runbookId: "iam-access-key-compromise" }, /detail/],
      [{ runbookId: "Not A Runbook", detail: DETAIL }, /runbookId/],
      ["{not json", /not JSON/],
    ];
    for (const [body, field] of cases) {
      const response = parse(await start()(post(body)));
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.message).toMatch(field);
    }
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it("throttled or at the execution limit → 503 Transient; a name already used → 409; anything else → 502 naming only the code", async () => {
    const body = { runbookId: "iam-access-key-compromise", detail: DETAIL };
    sfn.on(StartExecutionCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 400 } }));
    expect(parse(await start()(post(body)))).toMatchObject({ status: 503, body: { error: "Transient" } });
    sfn.on(StartExecutionCommand).rejects(new ExecutionLimitExceeded({ message: "too many", $metadata: {} }));
    expect(parse(await start()(post(body)))).toMatchObject({ status: 503, body: { error: "Transient" } });
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: "exists", $metadata: {} }));
    expect(parse(await start()(post(body)))).toMatchObject({ status: 409, body: { error: "already-started", message: expect.stringContaining(`manual-${EVENT_ID}`) } });
    sfn.on(StartExecutionCommand).rejects(new StateMachineDoesNotExist({ message: "arn:aws:states:… secret detail", $metadata: {} }));
    const gone = parse(await start()(post(body)));
    expect(gone).toMatchObject({ status: 502, body: { error: "start-failed" } });
    expect(JSON.stringify(gone.body)).not.toContain("secret detail");
  });

  it("the environment is validated: a manual runbook without a machine or a bad ARN is refused by name", () => {
    expect(() => incidentMachinesFrom(undefined)).toThrow(/IRFLOW_INCIDENT_MACHINES is not set/);
    expect(() => incidentMachinesFrom("{")).toThrow(/not JSON/);
    expect(() => incidentMachinesFrom(JSON.stringify({ machines: {}, manual: ["x"] }))).toThrow(/manual/);
    expect(() => incidentMachinesFrom(JSON.stringify({ machines: { x: "arn:aws:lambda:eu-west-1:123456789012:function:x" }, manual: [] }))).toThrow(/machines\.x: must be a state machine ARN/);
  });
});

describe("the verified starter is the requester", () => {
  it("a claim inside detail or an unverified StartExecution input is not believed: manual:unknown", () => {
    expect(verifiedRequesterOf({ source: "irflow.manual", detail: { requestedBy: ALICE } })).toBe("manual:unknown");
    expect(verifiedRequesterOf({ source: "irflow.manual", detail: {}, startedBy: "bob" })).toBe("manual:unknown");
    expect(verifiedRequesterOf({ source: "aws.guardduty", detail: {}, startedBy: ALICE })).toBe("event:aws.guardduty");
  });

  it("end to end: alice starts a manual incident; her approval of its step is refused as requester, bob's is accepted", async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: "arn:aws:states:eu-west-1:123456789012:execution:x:y", startDate: at(0) });
    expect((await start()(post({ runbookId: "iam-access-key-compromise", detail: DETAIL }, responderArn("alice")))).statusCode).toBe(202);
    // open-incident stores the raw event it was started with in the incident record.
    const incidentItem = { event: { S: JSON.stringify(startedInput()) } };

    ddb.on(GetItemCommand, { Key: { pk: { S: `incident#${request().incidentId}` }, sk: { S: "incident" } } }).resolves({ Item: incidentItem });
    ddb.on(PutItemCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });
    const approvals = new DynamoDbApprovals(new DynamoDBClient({ region: "eu-west-1" }), "approvals");
    const requestApproval = createRequestApproval({ approvals, dynamodb: new DynamoDBClient({}), sns: new SNSClient({}), incidentsTable: "incidents", topicArn: "arn:aws:sns:eu-west-1:123456789012:approvals", journal: new MemoryStepJournal(), clock: { now: () => at(0) }, audit: { append: () => Promise.resolve() } });
    await requestApproval(request({ runbookId: "iam-access-key-compromise" }));
    const stored = JSON.parse(ddb.commandCalls(PutItemCommand)[0]!.args[0].input.Item!.record!.S!) as ApprovalView;
    expect(stored.requester).toBe(responderArn("alice"));

    ddb.on(GetItemCommand, { Key: { pk: { S: "approvals" }, sk: { S: `approval#${stored.id}` } } }).resolves({ Item: itemOf(stored) });
    ddb.on(UpdateItemCommand).resolves({ Attributes: { taskToken: { S: request().taskToken } } });
    sfn.on(SendTaskSuccessCommand).resolves({});
    const respond = createRespond({ approvals, sfn: new SFNClient({ region: "eu-west-1" }), clock: { now: () => at(60) }, audit: { append: () => Promise.resolve() } });
    // Alice answers in her lead role: another role, the same person.
    const hers = parse(await respond(approve(stored.id, ALICE)));
    expect(hers).toMatchObject({ status: 403, body: { error: "requester" } });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    const his = parse(await respond(approve(stored.id, BOB)));
    expect(his).toMatchObject({ status: 200, body: { status: "approved", approvers: [BOB] } });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
  });
});

const responderArn = (name: string) => `arn:aws:sts::${ACCOUNT}:assumed-role/IncidentResponder/${name}`;

function approve(id: string, arn: string): HttpApiEvent {
  return { routeKey: "POST /approvals/{id}/approve", pathParameters: { id }, body: JSON.stringify({ reason: "key is leaked", digest: DIGEST.slice(0, 12) }), requestContext: { authorizer: { iam: { userArn: arn } } } };
}

function itemOf(view: ApprovalView): Record<string, AttributeValue> {
  return { pk: { S: "approvals" }, sk: { S: `approval#${view.id}` }, record: { S: JSON.stringify(view) }, status: { S: view.status }, votes: { S: JSON.stringify(view.votes) } };
}
