import { createHash } from "node:crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { GetExecutionHistoryCommand, SFNClient, type HistoryEvent } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { archiveExecution, incidentOfExecution, type ArchiverPorts } from "../../../functions/audit/archive-execution.js";
import { MemoryAuditLog } from "../../../functions/audit/memory-audit-log.js";
import { tokenDigest } from "../../../functions/audit/task-token-digest.js";
import { awsError } from "../../support/task-harness.js";
import { fakeS3 } from "./s3-fake.js";

const ID = "inc-20261124-0123456789ab";
const BUCKET = "irflow-audit-123456789012";
const NOW = new Date("2026-11-24T13:00:00.000Z");
const ARN = `arn:aws:states:us-east-1:123456789012:execution:irflow-ec2-instance-compromise-contain:${ID}-contain`;
const event = (status: string, name = `${ID}-contain`, extra: Record<string, unknown> = {}) => ({
  version: "0",
  source: "aws.states",
  "detail-type": "Step Functions Execution Status Change",
  detail: { executionArn: ARN.replace(`${ID}-contain`, name), stateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:irflow-ec2-instance-compromise-contain", name, status, startDate: 1_795_000_000_000, stopDate: 1_795_000_100_000, input: "{}", output: null, ...extra },
});

const history = (count: number): HistoryEvent[] => Array.from({ length: count }, (_, i) => ({ id: i + 1, previousEventId: i, timestamp: new Date(NOW.getTime() + i), type: "TaskStateEntered" }));

let s3 = fakeS3();
const sfn = mockClient(SFNClient);
afterEach(() => {
  s3.mock.restore();
  s3 = fakeS3();
  sfn.reset();
});

function ports(overrides: Partial<ArchiverPorts> = {}) {
  const sleeps: number[] = [];
  const audit = new MemoryAuditLog();
  const value: ArchiverPorts = { sfn: new SFNClient({ region: "us-east-1" }), s3: s3.client, bucket: BUCKET, audit, now: () => NOW, sleep: (ms) => (sleeps.push(ms), Promise.resolve()), random: () => 0.5, ...overrides };
  return { ports: value, sleeps, audit };
}

/** Serves `events` 1,000 a page, as GetExecutionHistory does, with opaque tokens. */
function serve(events: HistoryEvent[]) {
  sfn.on(GetExecutionHistoryCommand).callsFake((input: { maxResults?: number; nextToken?: string }) => {
    const start = input.nextToken ? Number(input.nextToken.slice("page-".length)) : 0;
    const size = input.maxResults ?? 100;
    const next = start + size < events.length ? { nextToken: `page-${start + size}` } : {};
    return Promise.resolve({ events: events.slice(start, start + size), ...next });
  });
}

describe("the execution archiver", () => {
  it("pages through a history of 2,503 events (3 pages of up to 1,000) and writes it whole and in order, then audits it", async () => {
    serve(history(2503));
    const { ports: p, audit } = ports();
    const result = await archiveExecution(event("SUCCEEDED"), p);
    expect(result).toEqual({ archived: true, incidentId: ID, location: `s3://${BUCKET}/incidents/${ID}/executions/${ID}-contain.json`, events: 2503, duplicate: false });
    const pages = sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input);
    expect(pages).toEqual([
      { executionArn: ARN, maxResults: 1000, includeExecutionData: true },
      { executionArn: ARN, maxResults: 1000, includeExecutionData: true, nextToken: "page-1000" },
      { executionArn: ARN, maxResults: 1000, includeExecutionData: true, nextToken: "page-2000" },
    ]);
    const stored = JSON.parse(s3.objects.get(`${BUCKET}/incidents/${ID}/executions/${ID}-contain.json`)!.body) as { events: { id: number }[]; status: string; incidentId: string };
    expect(stored.events.map((e) => e.id)).toEqual(Array.from({ length: 2503 }, (_, i) => i + 1));
    expect(stored).toMatchObject({ status: "SUCCEEDED", incidentId: ID });
    expect(s3.mock.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({ IfNoneMatch: "*", ChecksumSHA256: expect.any(String) });
    const [entry] = await audit.entries(ID);
    expect(entry).toMatchObject({ kind: "execution.archived", actor: "system:archiver", body: { events: 2503, status: "SUCCEEDED", executionArn: ARN } });
  });

  it("keeps a digest in place of each task token, wherever the history holds it; the audited hash is of what was written", async () => {
    const token = "AQCEAAAAKgAAAAMAAAAAAAAAAcj3Ck+c2tBvVH7fo4e6XUr5wGgS";
    const parameters = JSON.stringify({ FunctionName: "arn:aws:lambda:us-east-1:123456789012:function:approval-request", Payload: { taskToken: token, approvalId: "apr-1" } });
    serve([
      { id: 1, previousEventId: 0, timestamp: NOW, type: "TaskScheduled", taskScheduledEventDetails: { resourceType: "lambda", resource: "invoke.waitForTaskToken", region: "us-east-1", parameters } },
      { id: 2, previousEventId: 1, timestamp: NOW, type: "TaskSucceeded", taskSucceededEventDetails: { resourceType: "lambda", resource: "invoke.waitForTaskToken", output: JSON.stringify({ echoed: token }) } },
    ]);
    const { ports: p, audit } = ports();
    await archiveExecution(event("SUCCEEDED"), p);
    const body = s3.objects.get(`${BUCKET}/incidents/${ID}/executions/${ID}-contain.json`)!.body;
    expect(body).not.toContain(token);
    expect(body.split(tokenDigest(token)).length - 1).toBe(2);
    expect(tokenDigest(token)).toMatch(/^sha256:[0-9a-f]{16}$/);
    const [entry] = await audit.entries(ID);
    expect(entry!.body.sha256).toBe(createHash("sha256").update(body).digest("hex"));
  });

  it("retries a throttled page with backoff and still archives every event", async () => {
    const events = history(1500);
    let calls = 0;
    sfn.on(GetExecutionHistoryCommand).callsFake((input: { nextToken?: string }) => {
      calls += 1;
      if (calls === 2 || calls === 3) return Promise.reject(awsError("ThrottlingException", 400));
      const start = input.nextToken ? 1000 : 0;
      return Promise.resolve({ events: events.slice(start, start + 1000), ...(start === 0 ? { nextToken: "t" } : {}) });
    });
    const { ports: p, sleeps } = ports();
    expect(await archiveExecution(event("FAILED"), p)).toMatchObject({ archived: true, events: 1500 });
    expect(sleeps).toEqual([50, 100]);
  });

  it("gives up on persistent throttling with a Transient error (EventBridge retries the invocation)", async () => {
    sfn.on(GetExecutionHistoryCommand).rejects(awsError("ThrottlingException", 400));
    const { ports: p, sleeps } = ports({ maxAttempts: 3 });
    await expect(archiveExecution(event("SUCCEEDED"), p)).rejects.toMatchObject({ name: "Transient" });
    expect(sleeps).toHaveLength(2);
    expect(s3.objects.size).toBe(0);
  });

  it("a missing execution is reported, nothing is written", async () => {
    sfn.on(GetExecutionHistoryCommand).rejects(awsError("ExecutionDoesNotExist", 400));
    const { ports: p, audit } = ports();
    expect(await archiveExecution(event("ABORTED"), p)).toEqual({ archived: false, reason: expect.stringContaining("ExecutionDoesNotExist") });
    expect(s3.objects.size).toBe(0);
    expect(await audit.entries(ID)).toEqual([]);
  });

  it("a redelivered event finds the archive already written and audits nothing twice", async () => {
    serve(history(3));
    const { ports: p, audit } = ports();
    await archiveExecution(event("SUCCEEDED"), p);
    expect(await archiveExecution(event("SUCCEEDED"), p)).toMatchObject({ archived: true, duplicate: true });
    expect(await audit.entries(ID)).toHaveLength(1);
  });

  it("ignores running executions and events that are not status changes", async () => {
    const { ports: p } = ports();
    expect(await archiveExecution(event("RUNNING"), p)).toEqual({ archived: false, reason: "RUNNING is not a terminal status" });
    expect(await archiveExecution({ source: "aws.ec2" }, p)).toMatchObject({ archived: false, reason: expect.stringContaining("source") });
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(0);
  });

  it("finds the incident from a phase name, else the incident machine's output; otherwise archives it unattributed", async () => {
    expect(incidentOfExecution(event("SUCCEEDED", `${ID}-post-incident`).detail)).toBe(ID);
    expect(incidentOfExecution(event("SUCCEEDED", "5a1c-uuid", { output: JSON.stringify({ incidentId: ID, duplicate: false }) }).detail)).toBe(ID);
    expect(incidentOfExecution(event("FAILED", "5a1c-uuid", { output: null, input: '{"detail":{}}' }).detail)).toBeUndefined();
    serve(history(2));
    const { ports: p } = ports();
    expect(await archiveExecution(event("FAILED", "5a1c-uuid"), p)).toMatchObject({ archived: true, location: `s3://${BUCKET}/executions/unattributed/5a1c-uuid.json` });
  });
});
