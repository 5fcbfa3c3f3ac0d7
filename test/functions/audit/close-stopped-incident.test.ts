import { DynamoDBClient, GetItemCommand, UpdateItemCommand, type AttributeValue } from "@aws-sdk/client-dynamodb";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, type HistoryEvent, type HistoryEventType } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CLOSE_STOPPED_EXECUTION_IAM, CLOSE_STOPPED_IAM, CLOSER_ACTOR, closeStoppedIncident, INCIDENT_MACHINE_ARNS_ENV, MalformedStatusChange, type StoppedIncidentPorts } from "../../../functions/audit/close-stopped-incident.js";
import { auditEntry, KIND } from "../../../functions/audit/audit-kinds.js";
import { projectRecord } from "../../../functions/audit/incident-record.js";
import { renderReport } from "../../../functions/audit/report/index.js";
import { S3AuditLog } from "../../../functions/audit/s3-audit-log.js";
import { verifyChain } from "../../../functions/audit/verify-chain.js";
import { iamActionFor } from "../../support/iam-coverage.js";
import { awsError } from "../../support/task-harness.js";
import { fakeS3 } from "./s3-fake.js";

const ID = "inc-20261125-00c1a5ed";
const BUCKET = "irflow-audit-123456789012";
const TABLE = "irflow-test-incidents";
const NOW = new Date("2026-11-25T05:00:00.000Z");
const PREFIX = "arn:aws:states:eu-west-1:123456789012";
const INCIDENT_MACHINE = `${PREFIX}:stateMachine:irflow-test-ssh-rdp-brute-force-incident`;
const INCIDENT_ARN = `${PREFIX}:execution:irflow-test-ssh-rdp-brute-force-incident:7f0c2a9e-guardduty`;
const DETECT_ARN = `${PREFIX}:execution:irflow-test-ssh-rdp-brute-force-detect:5b1d7c33-detect`;
const KEY = "ssh-rdp-brute-force#i-0a1b2c3d4e5f67890";
const TRIGGER = { source: "aws.guardduty", "detail-type": "GuardDuty Finding", detail: { type: "UnauthorizedAccess:EC2/SSHBruteForce" } };
const OPENED = { incidentId: ID, openedAt: "2026-11-25T04:40:00.000Z", duplicate: false, runbook: { id: "ssh-rdp-brute-force", revision: "c41215d3" }, resource: { instanceId: "i-0a1b2c3d4e5f67890" } };

const event = (status: string, extra: Record<string, unknown> = {}) => ({
  version: "0",
  source: "aws.states",
  "detail-type": "Step Functions Execution Status Change",
  detail: { executionArn: INCIDENT_ARN, stateMachineArn: INCIDENT_MACHINE, name: "7f0c2a9e-guardduty", status, startDate: 1_795_000_000_000, stopDate: 1_795_000_100_000, input: JSON.stringify(TRIGGER), output: null, ...extra },
});

let id = 0;
const at = () => new Date(NOW.getTime() - 60_000 + id * 10);
const entered = (name: string, input: unknown): HistoryEvent => ({ id: ++id, timestamp: at(), type: "TaskStateEntered", stateEnteredEventDetails: { name, input: JSON.stringify(input) } });
const exited = (name: string, output: unknown): HistoryEvent => ({ id: ++id, timestamp: at(), type: "TaskStateExited", stateExitedEventDetails: { name, output: JSON.stringify(output) } });
const submitted = (childArn: string): HistoryEvent => ({ id: ++id, timestamp: at(), type: "TaskSubmitted", taskSubmittedEventDetails: { resourceType: "states", resource: "startExecution.sync:2", output: JSON.stringify({ ExecutionArn: childArn, StartDate: NOW.toISOString() }) } });
const started = (input: unknown): HistoryEvent => ({ id: ++id, timestamp: at(), type: "ExecutionStarted", executionStartedEventDetails: { input: JSON.stringify(input) } });
const ended = (type: HistoryEventType): HistoryEvent => ({ id: ++id, timestamp: at(), type });

/** An incident execution stopped while contain ran: detect opened the incident and exited with its document. */
const stoppedInContain = (): HistoryEvent[] => [started(TRIGGER), entered("Detect", TRIGGER), submitted(DETECT_ARN), exited("Detect", OPENED), entered("Contain", OPENED), submitted(`${PREFIX}:execution:irflow-test-ssh-rdp-brute-force-contain:${ID}-contain`), ended("ExecutionAborted")];
/** An incident execution whose detect child failed: its own history never shows the incident. */
const failedInDetect = (): HistoryEvent[] => [started(TRIGGER), entered("Detect", TRIGGER), submitted(DETECT_ARN), ended("TaskFailed"), entered("Detection failed", { ...TRIGGER, failure: { Error: "States.TaskFailed" } }), ended("ExecutionFailed")];
const detectOpenedThenFailed = (document: Record<string, unknown> = OPENED): HistoryEvent[] => [started(TRIGGER), entered("Open incident", TRIGGER), exited("Open incident", document), entered("Describe the instance", document), ended("ExecutionFailed")];

let s3 = fakeS3();
const sfn = mockClient(SFNClient);
const dynamo = mockClient(DynamoDBClient);
/** The incidents table's items by pk, as DynamoDbIncidentStore reads and writes them. */
let table: Map<string, Record<string, AttributeValue>>;

beforeEach(() => {
  id = 0;
  table = new Map<string, Record<string, AttributeValue>>([
    [`incident#${ID}`, { pk: { S: `incident#${ID}` }, sk: { S: "incident" }, incidentId: { S: ID }, status: { S: "open" }, dedupeKey: { S: KEY }, openedBy: { S: DETECT_ARN }, document: { S: JSON.stringify(OPENED) } }],
    [`dedupe#${KEY}`, { pk: { S: `dedupe#${KEY}` }, sk: { S: "dedupe" }, incidentId: { S: ID }, status: { S: "open" } }],
  ]);
  dynamo.on(GetItemCommand).callsFake((input: { Key: { pk: { S: string } } }) => Promise.resolve({ ...(table.has(input.Key.pk.S) ? { Item: table.get(input.Key.pk.S) } : {}) }));
  dynamo.on(UpdateItemCommand).callsFake((input: { Key: { pk: { S: string } }; ExpressionAttributeValues: Record<string, AttributeValue> }) => {
    const item = table.get(input.Key.pk.S);
    if (item) table.set(input.Key.pk.S, { ...item, status: input.ExpressionAttributeValues[":closed"]! });
    return Promise.resolve({});
  });
});
afterEach(() => {
  s3.mock.restore();
  s3 = fakeS3();
  sfn.reset();
  dynamo.reset();
});

/** Serves each execution's history by ARN, in one page. */
function serve(histories: Record<string, HistoryEvent[]>) {
  sfn.on(GetExecutionHistoryCommand).callsFake((input: { executionArn: string }) => {
    const events = histories[input.executionArn];
    return events ? Promise.resolve({ events }) : Promise.reject(awsError("ExecutionDoesNotExist"));
  });
}

function ports(overrides: Partial<StoppedIncidentPorts> = {}) {
  const sleeps: number[] = [];
  const log = new S3AuditLog(s3.client, { bucket: BUCKET });
  const value: StoppedIncidentPorts = {
    sfn: new SFNClient({ region: "eu-west-1" }),
    dynamodb: new DynamoDBClient({ region: "eu-west-1" }),
    s3: s3.client,
    table: TABLE,
    bucket: BUCKET,
    log,
    now: () => NOW,
    sleep: (ms) => (sleeps.push(ms), Promise.resolve()),
    random: () => 0.5,
    incidentMachines: new Set([INCIDENT_MACHINE]),
    ...overrides,
  };
  return { ports: value, sleeps, log };
}

const kinds = async (log: S3AuditLog) => (await log.entries(ID)).map((entry) => entry.kind);
const reportKeys = () => [...s3.objects.keys()].filter((key) => key.includes("/report.")).sort();

describe("closing an incident whose execution stopped before post-incident (AWS)", () => {
  it("ABORTED: closes it as aborted with the stop's cause, the closed milestone, md/html/json reports with their digests, and frees the dedupe key", async () => {
    serve({ [INCIDENT_ARN]: stoppedInContain() });
    const { ports: p, log } = ports();
    const result = await closeStoppedIncident(event("ABORTED", { error: "Aborted", cause: "aborted by alice: false positive, honeypot host" }), p);
    expect(result).toEqual({ closed: true, incidentId: ID, status: "aborted", reportLocation: `s3://${BUCKET}/incidents/${ID}/report.md`, alreadyClosed: false });

    const entries = await log.entries(ID);
    expect(entries.map((entry) => entry.kind)).toEqual(["incident.closed", "milestone.reached", "report.written", "report.written", "report.written"]);
    expect(entries[0]).toMatchObject({ actor: CLOSER_ACTOR, at: NOW.toISOString(), body: { status: "aborted", document: OPENED, stopped: { execution: "ABORTED", reason: "aborted by alice: false positive, honeypot host" } } });
    expect((await verifyChain(ID, entries)).ok).toBe(true);
    // The reports are the projection of the log up to the close, as post-incident writes them.
    const record = projectRecord(ID, entries.slice(0, 2));
    for (const format of ["md", "html", "json"] as const) {
      const stored = s3.objects.get(`${BUCKET}/incidents/${ID}/report.${format}`)!;
      expect(stored.body).toBe(renderReport(record, format, NOW));
      expect(entries.find((entry) => entry.kind === "report.written" && entry.body.format === format)?.body).toMatchObject({ location: `s3://${BUCKET}/incidents/${ID}/report.${format}`, coversSeq: 2, sizeBytes: Buffer.byteLength(stored.body) });
    }
    expect(s3.objects.get(`${BUCKET}/incidents/${ID}/report.md`)!.body).toContain("alice");
    expect(table.get(`incident#${ID}`)!.status).toEqual({ S: "closed" });
    expect(table.get(`dedupe#${KEY}`)!.status).toEqual({ S: "closed" });
    // The event carried error and cause: no DescribeExecution.
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });

  it("TIMED_OUT: closes it as failed, States.Timeout in the document's failure and in `stopped`", async () => {
    serve({ [INCIDENT_ARN]: stoppedInContain() });
    const { ports: p, log } = ports();
    expect(await closeStoppedIncident(event("TIMED_OUT"), p)).toMatchObject({ closed: true, incidentId: ID, status: "failed" });
    const [closed] = await log.entries(ID);
    expect(closed!.body).toEqual({
      status: "failed",
      document: { ...OPENED, failure: { Error: "States.Timeout", Cause: "the incident execution timed out" } },
      stopped: { execution: "TIMED_OUT", reason: "States.Timeout: the incident execution timed out" },
    });
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
    expect(reportKeys()).toHaveLength(3);
  });

  it("FAILED in detect after the incident opened: finds it in the detect child's history, asks DescribeExecution for the cause the event lacks, closes it as failed", async () => {
    serve({ [INCIDENT_ARN]: failedInDetect(), [DETECT_ARN]: detectOpenedThenFailed() });
    const cause = JSON.stringify({ ExecutionArn: DETECT_ARN, Error: "States.TaskFailed", Cause: JSON.stringify({ errorMessage: "DescribeInstances: AccessDenied", errorType: "Forbidden" }) });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: INCIDENT_ARN, status: "FAILED", error: "DetectionFailed", cause });
    const { ports: p, log } = ports();
    expect(await closeStoppedIncident(event("FAILED"), p)).toMatchObject({ closed: true, incidentId: ID, status: "failed" });
    const [closed] = await log.entries(ID);
    expect(closed!.body).toEqual({
      status: "failed",
      document: { ...OPENED, failure: { Error: "DetectionFailed", Cause: cause } },
      stopped: { execution: "FAILED", reason: "DetectionFailed: DescribeInstances: AccessDenied" },
    });
    expect(sfn.commandCalls(DescribeExecutionCommand).map((call) => call.args[0].input)).toEqual([{ executionArn: INCIDENT_ARN }]);
    expect(sfn.commandCalls(GetExecutionHistoryCommand).map((call) => call.args[0].input.executionArn)).toEqual([INCIDENT_ARN, DETECT_ARN]);
    expect(table.get(`dedupe#${KEY}`)!.status).toEqual({ S: "closed" });
  });

  it("an incident post-incident already closed (its execution then failed or was stopped) stands: nothing is appended, written or updated", async () => {
    serve({ [INCIDENT_ARN]: stoppedInContain() });
    const { ports: p, log } = ports();
    await log.append(ID, auditEntry(KIND.incidentClosed, "function:audit.close-incident", "2026-11-25T04:59:00.000Z", { status: "resolved", document: OPENED }));
    await log.append(ID, auditEntry(KIND.milestone, "function:audit.close-incident", "2026-11-25T04:59:00.000Z", { name: "closed" }));
    for (const format of ["md", "html", "json"]) {
      await log.append(ID, auditEntry(KIND.reportWritten, "function:audit.close-incident", "2026-11-25T04:59:00.000Z", { location: `s3://${BUCKET}/incidents/${ID}/report.${format}`, format, sha256: "0".repeat(64), sizeBytes: 1, coversSeq: 2 }));
    }
    table.set(`incident#${ID}`, { ...table.get(`incident#${ID}`)!, status: { S: "closed" } });
    const puts = s3.mock.commandCalls(PutObjectCommand).length;

    expect(await closeStoppedIncident(event("ABORTED", { cause: "stopped during post-incident" }), p)).toEqual({ closed: true, incidentId: ID, status: "resolved", reportLocation: `s3://${BUCKET}/incidents/${ID}/report.md`, alreadyClosed: true });
    expect(await kinds(log)).toEqual(["incident.closed", "milestone.reached", "report.written", "report.written", "report.written"]);
    expect(s3.mock.commandCalls(PutObjectCommand)).toHaveLength(puts);
    expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it("post-incident's close that died before the table: only the table is closed, the log and reports stay as they are", async () => {
    serve({ [INCIDENT_ARN]: stoppedInContain() });
    const { ports: p, log } = ports();
    await log.append(ID, auditEntry(KIND.incidentClosed, "function:audit.close-incident", "2026-11-25T04:59:00.000Z", { status: "failed", document: { ...OPENED, failure: { Error: "Rejected" } } }));
    await log.append(ID, auditEntry(KIND.milestone, "function:audit.close-incident", "2026-11-25T04:59:00.000Z", { name: "closed" }));
    for (const format of ["md", "html", "json"]) {
      await log.append(ID, auditEntry(KIND.reportWritten, "function:audit.close-incident", "2026-11-25T04:59:00.000Z", { location: `s3://${BUCKET}/incidents/${ID}/report.${format}`, format, sha256: "0".repeat(64), sizeBytes: 1, coversSeq: 2 }));
    }
    const puts = s3.mock.commandCalls(PutObjectCommand).length;
    expect(await closeStoppedIncident(event("FAILED", { error: "States.TaskFailed", cause: "close-incident timed out" }), p)).toMatchObject({ closed: true, status: "failed", alreadyClosed: true });
    expect(await kinds(log)).toEqual(["incident.closed", "milestone.reached", "report.written", "report.written", "report.written"]);
    expect(s3.mock.commandCalls(PutObjectCommand)).toHaveLength(puts);
    expect(table.get(`incident#${ID}`)!.status).toEqual({ S: "closed" });
    expect(table.get(`dedupe#${KEY}`)!.status).toEqual({ S: "closed" });
  });

  it("a redelivered event appends nothing twice and writes no report again", async () => {
    serve({ [INCIDENT_ARN]: stoppedInContain() });
    const { ports: p, log } = ports();
    const first = await closeStoppedIncident(event("ABORTED", { cause: "stopped by hand" }), p);
    const puts = s3.mock.commandCalls(PutObjectCommand).length;
    const second = await closeStoppedIncident(event("ABORTED", { cause: "stopped by hand" }), p);
    expect(second).toEqual({ ...first, alreadyClosed: true });
    expect(await kinds(log)).toEqual(["incident.closed", "milestone.reached", "report.written", "report.written", "report.written"]);
    expect(s3.mock.commandCalls(PutObjectCommand)).toHaveLength(puts);
  });

  it("a try that died part way (closed, md put, table still open) finishes: every report recorded once, the table, no second close", async () => {
    serve({ [INCIDENT_ARN]: stoppedInContain() });
    const { ports: p, log } = ports();
    let failed = false;
    // The html report's write fails once with a client error the SDK does not retry.
    s3.mock.on(PutObjectCommand, { Key: `incidents/${ID}/report.html` }).callsFake(() => {
      if (!failed) {
        failed = true;
        return Promise.reject(awsError("AccessDenied", 403));
      }
      return Promise.resolve({});
    });
    await expect(closeStoppedIncident(event("ABORTED", { cause: "stopped by hand" }), p)).rejects.toMatchObject({ name: "Forbidden" });
    // The md object was put, but nothing is recorded until every report is: the retry records each once.
    expect(await kinds(log)).toEqual(["incident.closed", "milestone.reached"]);
    expect(table.get(`incident#${ID}`)!.status).toEqual({ S: "open" });

    expect(await closeStoppedIncident(event("ABORTED", { cause: "stopped by hand" }), p)).toMatchObject({ closed: true, status: "aborted", alreadyClosed: true });
    const entries = await log.entries(ID);
    expect(entries.map((entry) => entry.kind)).toEqual(["incident.closed", "milestone.reached", "report.written", "report.written", "report.written"]);
    expect(entries.slice(2).map((entry) => entry.body.format)).toEqual(["md", "html", "json"]);
    expect((await verifyChain(ID, entries)).ok).toBe(true);
    expect(table.get(`incident#${ID}`)!.status).toEqual({ S: "closed" });
  });

  it("an execution that opened no incident (detect refused the event) is a no-op: nothing read from the table, nothing written", async () => {
    serve({ [INCIDENT_ARN]: failedInDetect(), [DETECT_ARN]: [started(TRIGGER), entered("Open incident", TRIGGER), ended("TaskFailed"), ended("ExecutionFailed")] });
    const { ports: p } = ports();
    const result = await closeStoppedIncident(event("FAILED", { error: "DetectionFailed", cause: "unsupported finding" }), p);
    expect(result).toEqual({ closed: false, reason: `${INCIDENT_ARN} opened no incident (its detect refused the event or never reached it)` });
    expect(dynamo.commandCalls(GetItemCommand)).toHaveLength(0);
    expect(s3.mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it("an execution that only joined an open incident leaves it open for the execution that runs it", async () => {
    serve({ [INCIDENT_ARN]: failedInDetect(), [DETECT_ARN]: detectOpenedThenFailed({ ...OPENED, duplicate: true }) });
    const { ports: p } = ports();
    expect(await closeStoppedIncident(event("ABORTED", { cause: "x" }), p)).toMatchObject({ closed: false, incidentId: ID, reason: expect.stringContaining("joined incident") });
    expect(s3.mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(dynamo.commandCalls(UpdateItemCommand)).toHaveLength(0);
  });

  it("an incident id the table does not hold (open-incident failed before writing it) is a no-op", async () => {
    serve({ [INCIDENT_ARN]: stoppedInContain() });
    table.delete(`incident#${ID}`);
    const { ports: p } = ports();
    expect(await closeStoppedIncident(event("ABORTED", { cause: "x" }), p)).toEqual({ closed: false, incidentId: ID, reason: `incident ${ID} is not in ${TABLE}: it was never opened` });
    expect(s3.mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it("reads the incident from the execution's input when a responder started it for one, without its history", async () => {
    const { ports: p } = ports();
    expect(await closeStoppedIncident(event("ABORTED", { input: JSON.stringify(OPENED), cause: "x" }), p)).toMatchObject({ closed: true, incidentId: ID });
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(0);
  });

  it("retries throttled and 5xx calls with backoff, then closes", async () => {
    let calls = 0;
    sfn.on(GetExecutionHistoryCommand).callsFake(() => {
      calls += 1;
      return calls <= 2 ? Promise.reject(awsError("ThrottlingException", 400)) : Promise.resolve({ events: stoppedInContain() });
    });
    sfn.on(DescribeExecutionCommand).rejectsOnce(awsError("InternalServerError", 500)).resolves({ status: "ABORTED", cause: "aborted by bob: wrong host" });
    let gets = 0;
    const item = table.get(`incident#${ID}`)!;
    dynamo.on(GetItemCommand, { Key: { pk: { S: `incident#${ID}` }, sk: { S: "incident" } }, ConsistentRead: true }).callsFake(() => {
      gets += 1;
      return gets === 1 ? Promise.reject(awsError("ProvisionedThroughputExceededException", 400)) : Promise.resolve({ Item: item });
    });
    const { ports: p, sleeps, log } = ports();
    expect(await closeStoppedIncident(event("ABORTED"), p)).toMatchObject({ closed: true, status: "aborted" });
    expect(sleeps).toEqual([50, 100, 50, 50]);
    expect((await log.entries(ID))[0]!.body).toMatchObject({ stopped: { execution: "ABORTED", reason: "aborted by bob: wrong host" } });
  });

  it("gives up on a denied call at once, named, and on throttling after the last attempt", async () => {
    sfn.on(GetExecutionHistoryCommand).rejects(awsError("AccessDeniedException", 400));
    const denied = ports();
    await expect(closeStoppedIncident(event("ABORTED", { cause: "x" }), denied.ports)).rejects.toMatchObject({ name: "Forbidden", message: expect.stringContaining(`GetExecutionHistory ${INCIDENT_ARN}`) });
    expect(denied.sleeps).toEqual([]);

    sfn.reset();
    sfn.on(GetExecutionHistoryCommand).rejects(awsError("ThrottlingException", 400));
    const throttled = ports({ maxAttempts: 3 });
    await expect(closeStoppedIncident(event("ABORTED", { cause: "x" }), throttled.ports)).rejects.toMatchObject({ name: "Transient" });
    expect(throttled.sleeps).toEqual([50, 100]);
  });

  it("rejects a malformed event with an error naming the field", async () => {
    const { ports: p } = ports();
    const { executionArn: _omitted, ...noArn } = event("ABORTED").detail;
    await expect(closeStoppedIncident({ ...event("ABORTED"), detail: noArn }, p)).rejects.toThrow(MalformedStatusChange);
    await expect(closeStoppedIncident({ ...event("ABORTED"), detail: noArn }, p)).rejects.toThrow(/detail\.executionArn/);
    await expect(closeStoppedIncident({ ...event("ABORTED"), "detail-type": "EC2 Instance State-change Notification" }, p)).rejects.toThrow(/detail-type/);
    await expect(closeStoppedIncident(event("ABORTED", { cause: 42 }), p)).rejects.toThrow(/detail\.cause/);
    await expect(closeStoppedIncident("not an event", p)).rejects.toThrow(/\(event\)/);
  });

  it("ignores ends it does not own: SUCCEEDED (post-incident ran), a phase machine's execution", async () => {
    const { ports: p } = ports();
    expect(await closeStoppedIncident(event("SUCCEEDED"), p)).toMatchObject({ closed: false, reason: expect.stringContaining("SUCCEEDED") });
    const contain = `${PREFIX}:stateMachine:irflow-test-ssh-rdp-brute-force-contain`;
    expect(await closeStoppedIncident(event("FAILED", { stateMachineArn: contain, name: `${ID}-contain` }), p)).toEqual({ closed: false, reason: `${contain} is not an incident machine` });
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(0);
  });
});

describe("the closer's declared IAM", () => {
  it("covers every call a close makes (stopped during detect: both histories, DescribeExecution, the item, the log, the reports, the table)", async () => {
    serve({ [INCIDENT_ARN]: failedInDetect(), [DETECT_ARN]: detectOpenedThenFailed() });
    sfn.on(DescribeExecutionCommand).resolves({ status: "FAILED", error: "DetectionFailed", cause: "x" });
    const { ports: p } = ports();
    await closeStoppedIncident(event("FAILED"), p);
    const declared = new Set([...CLOSE_STOPPED_IAM.flatMap((grant) => grant.actions), ...Object.keys(CLOSE_STOPPED_EXECUTION_IAM)]);
    const called = [
      ...sfn.calls().map((call) => `states:${call.args[0].constructor.name.replace(/Command$/, "")}`),
      ...dynamo.calls().map((call) => iamActionFor("DynamoDBClient", call.args[0].constructor.name)),
      ...s3.mock.calls().map((call) => iamActionFor("S3Client", call.args[0].constructor.name)),
    ];
    expect(new Set(called)).toEqual(declared);
    expect(CLOSE_STOPPED_EXECUTION_IAM).toEqual({ "states:GetExecutionHistory": ["incident", "detect"], "states:DescribeExecution": ["incident"] });
  });
});

describe("the closer's Lambda handler", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  const load = async () => (await import("../../../functions/audit/close-stopped-incident.handler.js")).handler;

  it("refuses to start without its table, bucket or incident machines, naming what is missing", async () => {
    vi.stubEnv("IRFLOW_AUDIT_BUCKET", "");
    await expect((await load())(event("ABORTED"))).rejects.toThrow(/IRFLOW_AUDIT_BUCKET/);
    vi.resetModules();
    vi.stubEnv("IRFLOW_AUDIT_BUCKET", BUCKET);
    vi.stubEnv("IRFLOW_INCIDENTS_TABLE", "");
    await expect((await load())(event("ABORTED"))).rejects.toThrow(/IRFLOW_INCIDENTS_TABLE/);
    vi.resetModules();
    vi.stubEnv("IRFLOW_INCIDENTS_TABLE", TABLE);
    vi.stubEnv(INCIDENT_MACHINE_ARNS_ENV, "{not json");
    await expect((await load())(event("ABORTED"))).rejects.toThrow(new RegExp(INCIDENT_MACHINE_ARNS_ENV));
  });

  it("ignores, with a log line, an event of a machine its environment does not list", async () => {
    vi.stubEnv("IRFLOW_AUDIT_BUCKET", BUCKET);
    vi.stubEnv("IRFLOW_INCIDENTS_TABLE", TABLE);
    vi.stubEnv(INCIDENT_MACHINE_ARNS_ENV, JSON.stringify([`${PREFIX}:stateMachine:irflow-test-other-incident`]));
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    try {
      expect(await (await load())(event("ABORTED"))).toEqual({ closed: false, reason: `${INCIDENT_MACHINE} is not an incident machine` });
    } finally {
      write.mockRestore();
    }
    expect(lines.some((line) => line.includes("nothing to close") && line.includes("not an incident machine"))).toBe(true);
  });
});
