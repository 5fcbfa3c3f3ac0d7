import { DynamoDBClient, GetItemCommand, QueryCommand, UpdateItemCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { SendTaskSuccessCommand, SFNClient, SFNServiceException, TaskTimedOut } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { ApprovalView } from "../../../functions/approval/approval.js";
import { DynamoDbApprovals } from "../../../functions/approval/dynamodb-approvals.js";
import { createRespond } from "../../../functions/approval/respond.js";
import type { HttpApiEvent } from "../../../functions/http/http-api.js";
import type { AuditEntryInput } from "../../../functions/audit/audit-port.js";
import { approval, at, DIGEST, lead } from "./fixtures.js";

const ddb = mockClient(DynamoDBClient);
const sfn = mockClient(SFNClient);
const TOKEN = "secret-task-token-123";
let audit: (AuditEntryInput & { incidentId: string })[] = [];

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  audit = [];
});

const itemOf = (view: ApprovalView): Record<string, AttributeValue> => ({ pk: { S: "approvals" }, sk: { S: `approval#${view.id}` }, record: { S: JSON.stringify(view) }, status: { S: view.status }, votes: { S: "[]" } });
const respond = () =>
  createRespond({
    approvals: new DynamoDbApprovals(new DynamoDBClient({ region: "us-east-1" }), "approvals"),
    sfn: new SFNClient({ region: "us-east-1" }),
    clock: { now: () => at(60) },
    audit: { append: (incidentId, entry) => (audit.push({ incidentId, ...entry }), Promise.resolve()) },
  });
const signed = (event: HttpApiEvent): HttpApiEvent => ({ ...event, requestContext: { authorizer: { iam: { userArn: lead("alice").actor } } } });
const approve = (id: string) => signed({ routeKey: "POST /approvals/{id}/approve", pathParameters: { id }, body: JSON.stringify({ reason: "ok", digest: DIGEST }) });
const parse = (response: { statusCode: number; body: string }) => ({ status: response.statusCode, body: JSON.parse(response.body) as Record<string, unknown> });

describe("the respond API boundary", () => {
  it.each([
    ["a path id that is not an approval id", approve("../../etc"), "id"],
    ["an overlong id", approve(`apr-${"a".repeat(200)}`), "id"],
    ["an incident filter that is not an incident id", signed({ routeKey: "GET /approvals", queryStringParameters: { incidentId: "x' OR 1=1" } }), "incidentId"],
    ["an unknown query parameter", signed({ routeKey: "GET /approvals", queryStringParameters: { status: "approved" } }), "status"],
  ])("refuses %s with 400 naming the field, before any read", async (_name, event, field) => {
    const response = parse(await respond()(event));
    expect(response).toMatchObject({ status: 400, body: { error: "bad-request", message: expect.stringContaining(field) } });
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe("an answer the workflow did not take", () => {
  it("after the timeout: audited as a refused answer (expired), never as an approval", async () => {
    const a = approval();
    ddb.on(GetItemCommand).resolves({ Item: itemOf(a) });
    ddb.on(UpdateItemCommand).resolves({ Attributes: { taskToken: { S: TOKEN } } });
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: "Task Timed Out", $metadata: {} }));
    expect(parse(await respond()(approve(a.id)))).toMatchObject({ status: 410, body: { error: "expired" } });
    expect(audit.map((e) => e.kind)).toEqual(["approval.refused", "approval.expired"]);
    expect(audit[0]).toMatchObject({ actor: lead("alice").actor, body: { refusal: "expired", answer: "approve" } });
  });

  it("a Step Functions failure quoting the token: 502 with the code only; no token in the response or the audit", async () => {
    const a = approval();
    ddb.on(GetItemCommand).resolves({ Item: itemOf(a) });
    ddb.on(UpdateItemCommand).resolves({ Attributes: { taskToken: { S: TOKEN } } });
    sfn.on(SendTaskSuccessCommand).rejects(new SFNServiceException({ name: "KmsAccessDeniedException", $fault: "client", message: `denied for token ${TOKEN}`, $metadata: {} }));
    const raw = await respond()(approve(a.id));
    expect(parse(raw)).toMatchObject({ status: 502, body: { error: "resume-failed", message: expect.stringContaining("KmsAccessDeniedException") } });
    expect(raw.body).not.toContain(TOKEN);
    expect(audit.map((e) => e.kind)).toEqual(["approval.resume-failed"]);
    expect(JSON.stringify(audit)).not.toContain(TOKEN);
  });

  it("lists with a valid incident filter", async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    expect(parse(await respond()(signed({ routeKey: "GET /approvals", queryStringParameters: { incidentId: "inc-20261124-abcdef123456" } }))).status).toBe(200);
  });
});
