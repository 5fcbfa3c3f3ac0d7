import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { createCloseIncident } from "../../../functions/audit/close-incident.js";
import closeContract from "../../../functions/audit/close-incident.contract.js";
import { projectRecord } from "../../../functions/audit/incident-record.js";
import { DynamoDbIncidentStore } from "../../../functions/detect/dynamodb-incident-store.js";
import { createRecordFailure } from "../../../functions/audit/record-failure.js";
import recordContract from "../../../functions/audit/record-failure.contract.js";
import { renderReport } from "../../../functions/audit/report/index.js";
import { S3AuditLog } from "../../../functions/audit/s3-audit-log.js";
import { verifyChain } from "../../../functions/audit/verify-chain.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness, INCIDENT_ID, NOW } from "../../support/task-harness.js";
import { fakeS3 } from "./s3-fake.js";

const BUCKET = "irflow-audit-123456789012";
let s3 = fakeS3();
const dynamo = mockClient(DynamoDBClient);
afterEach(() => {
  s3.mock.restore();
  s3 = fakeS3();
  dynamo.reset();
});

const env = { IRFLOW_AUDIT_BUCKET: BUCKET, IRFLOW_INCIDENTS_TABLE: "irflow-incidents" };

describe("audit.record-failure in AWS", () => {
  it("appends step.failed to the incident's log in the audit bucket, once per step", async () => {
    const h = harness(createRecordFailure((ctx) => new S3AuditLog(ctx.aws(S3Client), { bucket: BUCKET })));
    expect(await h.run({ incidentId: INCIDENT_ID, stepId: "contain/isolate-the-instance", error: { Error: "Rejected", Cause: "rejected by alice: honeypot" } }, { stepId: "contain/isolate-the-instance" })).toEqual({ recorded: true });
    // A Step Functions retry of the same invocation records nothing more.
    await h.run({ incidentId: INCIDENT_ID, stepId: "contain/isolate-the-instance", error: { Error: "Rejected", Cause: "rejected by alice: honeypot" } }, { stepId: "contain/isolate-the-instance" });
    const entries = await new S3AuditLog(s3.client, { bucket: BUCKET }).entries(INCIDENT_ID);
    expect(entries).toEqual([expect.objectContaining({ kind: "step.failed", actor: "function:audit.record-failure", body: { stepId: "contain/isolate-the-instance", error: "Rejected", cause: "rejected by alice: honeypot" } })]);
    expectCallsDeclared(recordContract, { S3Client: s3.mock });
  });

  it("refuses malformed input with the field named", async () => {
    const h = harness(createRecordFailure());
    await expect(h.run({ incidentId: "nope", stepId: "contain/x", error: { Error: "E" } })).rejects.toMatchObject({ name: "InvalidInput", message: expect.stringContaining("incidentId") });
  });
});

describe("audit.close-incident in AWS", () => {
  const run = async (document: Record<string, unknown>) => {
    const task = createCloseIncident({
      log: (ctx) => new S3AuditLog(ctx.aws(S3Client), { bucket: BUCKET }),
      reportBucket: () => BUCKET,
      closeIncident: (ctx, id, at) => new DynamoDbIncidentStore(ctx.aws(DynamoDBClient), env.IRFLOW_INCIDENTS_TABLE).close(id, at),
    });
    return harness(task).run({ incidentId: INCIDENT_ID, document }, { stepId: "post-incident/close-incident" });
  };

  it("closes in the log, writes md, html and json reports rendered by the shared report code, records their hashes, closes the incident", async () => {
    dynamo.on(GetItemCommand).resolves({ Item: { dedupeKey: { S: "ec2-instance-compromise#i-0a1b2c3d4e5f67890" } } });
    dynamo.on(UpdateItemCommand).resolves({});
    const log = new S3AuditLog(s3.client, { bucket: BUCKET });
    await log.append(INCIDENT_ID, { kind: "incident.opened", actor: "function:detect.open-incident", at: NOW.toISOString(), body: { runbook: { id: "ec2-instance-compromise", revision: "abc" }, document: { incidentId: INCIDENT_ID } } });
    const document = { incidentId: INCIDENT_ID, failure: { Error: "IncidentFailed", Cause: "contain failed" } };
    expect(await run(document)).toEqual({ reportLocation: `s3://${BUCKET}/incidents/${INCIDENT_ID}/report.md`, status: "failed" });

    const entries = await log.entries(INCIDENT_ID);
    expect(entries.map((e) => e.kind)).toEqual(["incident.opened", "incident.closed", "milestone.reached", "report.written", "report.written", "report.written"]);
    expect((await verifyChain(INCIDENT_ID, entries)).ok).toBe(true);
    const record = projectRecord(INCIDENT_ID, entries.slice(0, 3));
    for (const format of ["md", "html", "json"] as const) {
      const stored = s3.objects.get(`${BUCKET}/incidents/${INCIDENT_ID}/report.${format}`)!;
      expect(stored.body).toBe(renderReport(record, format, NOW));
    }
    expect(s3.objects.get(`${BUCKET}/incidents/${INCIDENT_ID}/report.html`)!.input.ContentType).toBe("text/html; charset=utf-8");
    expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(2); // the incident, then its dedupe key
    expectCallsDeclared(closeContract, { S3Client: s3.mock, DynamoDBClient: dynamo });
  });

  it("a failing report write is Transient (the state's Retry runs it again) and the close is not appended twice on retry", async () => {
    dynamo.on(GetItemCommand).resolves({ Item: { dedupeKey: { S: "ec2-instance-compromise#i-0a1b2c3d4e5f67890" } } });
    dynamo.on(UpdateItemCommand).resolves({});
    let failures = 1;
    s3.mock.on(PutObjectCommand, { Key: `incidents/${INCIDENT_ID}/report.md` }).callsFake(() => (failures-- > 0 ? Promise.reject(awsError("ServiceUnavailable", 503)) : Promise.resolve({})));
    await expect(run({ incidentId: INCIDENT_ID })).rejects.toMatchObject({ name: "Transient" });
    await run({ incidentId: INCIDENT_ID });
    const kinds = (await new S3AuditLog(s3.client, { bucket: BUCKET }).entries(INCIDENT_ID)).map((e) => e.kind);
    expect(kinds.filter((k) => k === "incident.closed")).toHaveLength(1);
    expect(kinds.filter((k) => k === "milestone.reached")).toHaveLength(1);
  });

  it("a report that fails after another was put records none on that try: each retry puts them all again, and the log ends with one entry per format", async () => {
    dynamo.on(GetItemCommand).resolves({ Item: { dedupeKey: { S: "ec2-instance-compromise#i-0a1b2c3d4e5f67890" } } });
    dynamo.on(UpdateItemCommand).resolves({});
    let failures = 2;
    s3.mock.on(PutObjectCommand, { Key: `incidents/${INCIDENT_ID}/report.html` }).callsFake(() => (failures-- > 0 ? Promise.reject(awsError("ServiceUnavailable", 503)) : Promise.resolve({})));
    await expect(run({ incidentId: INCIDENT_ID })).rejects.toMatchObject({ name: "Transient" });
    await expect(run({ incidentId: INCIDENT_ID })).rejects.toMatchObject({ name: "Transient" });
    await run({ incidentId: INCIDENT_ID });
    const entries = await new S3AuditLog(s3.client, { bucket: BUCKET }).entries(INCIDENT_ID);
    expect(entries.filter((e) => e.kind === "report.written").map((e) => e.body.format)).toEqual(["md", "html", "json"]);
  });
});
