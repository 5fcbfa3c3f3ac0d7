import { readFileSync } from "node:fs";
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isTaskError } from "../../../functions/contract/errors.js";
import { MemoryIncidentStore } from "../../../functions/detect/incident-store.js";
import contract from "../../../functions/detect/open-incident.contract.js";
import openIncident, { createOpenIncident, incidentsTableStore, mintIncidentId, type OpenIncidentTask } from "../../../functions/detect/open-incident.js";
import { IncidentId } from "../../../functions/incident/document.js";
import { executeTask } from "../../../functions/runtime/execute-task.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { harness, NOW } from "../../support/task-harness.js";

type Json = Record<string, unknown>;
type Event = Json & { detail: Json };

const RUNBOOK = { id: "ec2-instance-compromise", revision: "9b1e4c2a7d3f" };
const INSTANCE = "i-0a1b2c3d4e5f67890";

function fixture(name: string): Event {
  return JSON.parse(readFileSync(new URL(`../../fixtures/events/${name}.json`, import.meta.url), "utf8")) as Event;
}

function finding(change: (event: Event) => void = () => undefined): Event {
  const event = fixture("guardduty-backdoor-ec2");
  change(event);
  return event;
}

const executionArn = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:ec2-instance-compromise-detect:${name}`;

/**
 * The detect phase's first state as the compiler writes it: no incident id yet, so the executor
 * skips the step journal and the store alone makes the start idempotent.
 */
function envelope(event: unknown, execution = "run-1", runbook: Json = RUNBOOK) {
  return {
    mode: "run",
    input: { event, runbook, executionId: executionArn(execution) },
    context: { executionId: executionArn(execution), runbookId: RUNBOOK.id, stepId: "detect/open-incident", task: contract.name },
  };
}

/** Null means absent in a workflow document (the executor fills declared fields with null). */
function present(output: Json): Json {
  return Object.fromEntries(Object.entries(output).filter(([, value]) => value !== null));
}

function setup(options: { windowHours?: number } = {}) {
  const store = new MemoryIncidentStore();
  const task: OpenIncidentTask = createOpenIncident(store, options);
  const h = harness(task);
  let now = NOW;
  const ports = { ...h.ports, clock: { now: () => now } };
  return {
    store,
    logs: h.logs,
    advance: (hours: number) => void (now = new Date(now.getTime() + hours * 3600_000)),
    open: async (event: unknown, execution?: string, runbook?: Json) => (await executeTask(task, envelope(event, execution, runbook), ports)) as Json,
  };
}

async function refusal(promise: Promise<unknown>): Promise<{ message: string; detail: string | undefined }> {
  try {
    await promise;
  } catch (error) {
    expect(isTaskError(error), String(error)).toBe(true);
    if (!isTaskError(error)) throw error;
    expect(error.name).toBe("InvalidInput");
    return { message: error.message, detail: error.detail };
  }
  throw new Error("expected the event to be refused");
}

describe("detect.open-incident", () => {
  it("opens an incident for a new finding, with a valid incident document", async () => {
    const { store, open, logs } = setup();
    const output = await open(finding());
    expect(contract.output.parse(present(output))).toEqual(present(output));
    expect(output).toMatchObject({
      duplicate: false,
      runbook: RUNBOOK,
      openedAt: NOW.toISOString(),
      severity: { label: "high", score: 8 },
      trigger: { source: "guardduty", eventId: "c8c4daa7-a20c-2f03-0070-b7393dd542ad", findingId: "6ec5b8a4e2b1c0f3a9d7e6c5b4a39281" },
      resource: { kind: "ec2-instance", instanceId: INSTANCE },
      network: { remoteIp: "198.51.100.23", direction: "outbound" },
    });
    expect(output.incidentId).toMatch(/^inc-20261124-[0-9a-f]{12}$/);
    const [incident, ...others] = store.incidents();
    expect(others).toEqual([]);
    expect(incident).toMatchObject({ incidentId: output.incidentId, dedupeKey: `ec2-instance-compromise#123456789012#eu-west-1#ec2-instance#${INSTANCE}`, status: "open", openedBy: executionArn("run-1") });
    expect(JSON.parse(incident!.event.json!)).toEqual(finding());
    expect(logs).toContainEqual(expect.objectContaining({ level: "info", message: "opened the incident", fields: expect.objectContaining({ incidentId: output.incidentId, occurrences: 1 }) }));
  });

  it("joins the same finding again as a duplicate, without a second incident", async () => {
    const { store, open } = setup();
    const first = await open(finding());
    const again = await open(finding((e) => ((e.id = "d9d5ebb8-b31d-3f14-1181-c84a4ee653be"), (e.detail.updatedAt = "2026-11-24T11:58:00.000Z"))), "run-2");
    expect(again).toMatchObject({ incidentId: first.incidentId, duplicate: true, openedAt: first.openedAt });
    expect(contract.output.safeParse(present(again)).success).toBe(true);
    expect(store.incidents()).toHaveLength(1);
    expect(store.incidents()[0]!.occurrences).toHaveLength(2);
  });

  it("turns a storm of 500 findings about one instance into 1 incident with 500 occurrences", async () => {
    const { store, open } = setup();
    const outputs = [];
    for (let i = 0; i < 500; i++) {
      outputs.push(
        await open(
          finding((e) => {
            e.id = `storm-${String(i).padStart(4, "0")}`;
            e.detail.id = (i + 1).toString(16).padStart(32, "0");
            e.detail.type = ["Backdoor:EC2/C&CActivity.B", "CryptoCurrency:EC2/BitcoinTool.B!DNS", "Trojan:EC2/DNSDataExfiltration"][i % 3];
          }),
          `storm-${i}`,
        ),
      );
    }
    expect(store.incidents()).toHaveLength(1);
    expect(store.incidents()[0]!.occurrences).toHaveLength(500);
    expect(outputs.filter((o) => o.duplicate === false)).toHaveLength(1);
    expect(new Set(outputs.map((o) => o.incidentId)).size).toBe(1);
  });

  it("counts the same event id once, however often EventBridge delivers it", async () => {
    const { store, open, logs } = setup();
    const first = await open(finding(), "run-1");
    const redelivered = await open(finding(), "run-2");
    expect(redelivered).toMatchObject({ incidentId: first.incidentId, duplicate: true });
    expect(store.incidents()[0]!.occurrences).toHaveLength(1);
    expect(logs.filter((log) => log.message === "joined the open incident")).toMatchObject([{ level: "info", fields: { incidentId: first.incidentId, occurrences: 1 } }]);
  });

  it("answers Step Functions' retry of the opening execution with the same incident, not a duplicate", async () => {
    const { store, open } = setup();
    const first = await open(finding(), "run-1");
    const retry = await open(finding(), "run-1");
    expect(retry).toEqual(first);
    expect(store.incidents()).toHaveLength(1);
  });

  it("opens a new incident after the window (24 hours by default, or as configured)", async () => {
    const daily = setup();
    const first = await daily.open(finding());
    daily.advance(23.9);
    expect(await daily.open(finding((e) => (e.id = "later-1")), "run-2")).toMatchObject({ incidentId: first.incidentId, duplicate: true });
    daily.advance(0.2);
    const next = await daily.open(finding((e) => (e.id = "later-2")), "run-3");
    expect(next).toMatchObject({ duplicate: false, openedAt: new Date(NOW.getTime() + 24.1 * 3600_000).toISOString() });
    expect(next.incidentId).not.toBe(first.incidentId);
    expect(daily.store.incidents()).toHaveLength(2);

    const hourly = setup({ windowHours: 1 });
    await hourly.open(finding());
    hourly.advance(1.01);
    expect(await hourly.open(finding((e) => (e.id = "later-1")), "run-2")).toMatchObject({ duplicate: false });
  });

  it("opens a new incident once the open one is closed", async () => {
    const { store, open } = setup();
    const first = await open(finding());
    await store.close(first.incidentId as string, new Date());
    const next = await open(finding((e) => (e.id = "after-close")), "run-2");
    expect(next).toMatchObject({ duplicate: false });
    expect(next.incidentId).not.toBe(first.incidentId);
  });

  it("keeps incidents about different resources apart", async () => {
    const { store, open } = setup();
    await open(finding());
    await open(fixture("guardduty-ssh-brute-force"), "run-2");
    await open(fixture("cloudtrail-authorize-sg-ingress-world"), "run-3");
    expect(store.incidents()).toHaveLength(3);
  });

  it("opens every source the normaliser knows, each with a valid document", async () => {
    const names = ["guardduty-iam-exfiltration", "cloudtrail-authorize-sg-ingress-world", "cloudtrail-put-bucket-acl", "config-s3-public-read", "flowlog-reject", "schedule", "manual"];
    const { open } = setup();
    for (const [i, name] of names.entries()) {
      const output = await open(fixture(name), `run-${i}`);
      expect(contract.output.safeParse(present(output)).success, name).toBe(true);
    }
  });

  describe("refuses malformed and hostile events: InvalidInput, logged at warn, nothing written", () => {
    const huge = "A".repeat(100_000);
    let deep: unknown = {};
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    const cases: [string, unknown][] = [
      ["an injected instance id", finding((e) => ((e.detail.resource as { instanceDetails: Json }).instanceDetails.instanceId = "i-123; rm -rf /"))],
      ["a newline in the instance id", finding((e) => ((e.detail.resource as { instanceDetails: Json }).instanceDetails.instanceId = "i-0a1b2c3d4e5f67890\nrm -rf /"))],
      ["a missing finding id", finding((e) => delete e.detail.id)],
      ["a missing detail", finding((e) => delete (e as Json).detail)],
      ["a missing event id", finding((e) => delete e.id)],
      ["a 100 KB event id", finding((e) => (e.id = huge))],
      ["a 100 KB finding type", finding((e) => (e.detail.type = huge))],
      ["a 100 KB source", finding((e) => (e.source = huge))],
      ["a severity that is a string", finding((e) => (e.detail.severity = "8"))],
      ["a severity out of range", finding((e) => (e.detail.severity = 1e9))],
      ["an account id that is a number", finding((e) => (e.account = 123456789012))],
      ["a detail that is an array", finding((e) => ((e as Json).detail = [1, 2, 3]))],
      ["resources that are not a list", finding((e) => ((e as Json).resources = "arn:aws:ec2:::instance/x"))],
      ["a sample finding", finding((e) => ((e.detail.service as Json).additionalInfo = { sample: true }))],
      ["an unknown source", { id: "x-1", "detail-type": "Anything", source: "evil.example", account: "123456789012", region: "us-east-1", detail: {} }],
      ["a hostile key in a manual start", { ...fixture("manual"), detail: { ...fixture("manual").detail, [`${huge}\u202e`]: 1 } }],
      ["an event nested 10,000 levels deep", finding((e) => ((e.detail.service as Json).evidence = deep))],
      ["an empty object", {}],
    ];

    it.each(cases)("%s", async (_label, event) => {
      const { store, open, logs } = setup();
      const refused = await refusal(open(event));
      expect(store.incidents()).toEqual([]);
      expect(refused.message.length).toBeLessThanOrEqual(1024);
      const warnings = logs.filter((log) => log.level === "warn");
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ message: "refused the event: no incident opened", fields: { reason: expect.any(String), eventId: expect.any(String) } });
      // The log line names the event; it never carries the event (or a 100 KB field of it).
      expect(JSON.stringify(warnings[0]).length).toBeLessThan(2000);
      expect(JSON.stringify(warnings[0])).not.toMatch(/rm -rf|\\n|\u202e/);
      expect(logs.filter((log) => log.level === "info")).toEqual([]);
    });

    it("logs the event id of a well-formed event it refuses", async () => {
      const { open, logs } = setup();
      await refusal(open(finding((e) => (e.detail.severity = "8"))));
      expect(logs[0]).toMatchObject({ level: "warn", fields: { eventId: "c8c4daa7-a20c-2f03-0070-b7393dd542ad", field: "detail.severity", source: "aws.guardduty" } });
    });

    it("refuses, before the task runs, a payload whose event is not an object", async () => {
      const { store, open } = setup();
      for (const event of ["a string", 42, null, [1, 2]]) await refusal(open(event));
      expect(store.incidents()).toEqual([]);
    });

    it("refuses a runbook id or revision that could not be a key or a record field", async () => {
      const { store, open } = setup();
      await refusal(open(finding(), "run-1", { id: "rb#other", revision: "abc" }));
      await refusal(open(finding(), "run-1", { id: RUNBOOK.id, revision: "x".repeat(300) }));
      expect(store.incidents()).toEqual([]);
    });
  });

  it("mints incident ids the document accepts, from the clock's UTC day", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => mintIncidentId(new Date("2026-12-31T23:59:59.999Z"))));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(/^inc-20261231-[0-9a-f]{12}$/);
      expect(IncidentId.safeParse(id).success).toBe(true);
      expect(`${id}-post-incident`.length).toBeLessThanOrEqual(80);
    }
  });

  it("refuses a window that is not a positive number of hours", () => {
    const store = new MemoryIncidentStore();
    for (const windowHours of [0, -1, Number.NaN, 24 * 365]) expect(() => createOpenIncident(store, { windowHours }), String(windowHours)).toThrow(RangeError);
  });
});

describe("detect.open-incident in the Lambda (incidents table)", () => {
  const ddb = mockClient(DynamoDBClient);
  const env = { IRFLOW_INCIDENTS_TABLE: "irflow-incidents" };
  beforeEach(() => ddb.reset());
  afterEach(() => expectCallsDeclared(contract, { DynamoDBClient: ddb }));

  it("opens through DynamoDB: the claim, the record, the occurrence, the claim marked open", async () => {
    ddb.on(PutItemCommand).resolves({});
    ddb.on(UpdateItemCommand).resolves({});
    const task = createOpenIncident(incidentsTableStore(env));
    const output = (await executeTask(task, envelope(finding()), harness(task).ports)) as Json;
    expect(output).toMatchObject({ duplicate: false, resource: { instanceId: INSTANCE } });
    const puts = ddb.commandCalls(PutItemCommand).map((call) => call.args[0].input);
    expect(puts.map((put) => [put.TableName, put.Item!.pk!.S, put.Item!.sk!.S])).toEqual([
      ["irflow-incidents", `dedupe#ec2-instance-compromise#123456789012#eu-west-1#ec2-instance#${INSTANCE}`, "dedupe"],
      ["irflow-incidents", `incident#${String(output.incidentId)}`, "incident"],
      ["irflow-incidents", `incident#${String(output.incidentId)}`, "occurrence#c8c4daa7-a20c-2f03-0070-b7393dd542ad"],
    ]);
    expect(puts[0]!.ConditionExpression).toContain("attribute_not_exists(pk)");
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(1);
    expect(ddb.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  it("sends nothing to DynamoDB for a refused event", async () => {
    const task = createOpenIncident(incidentsTableStore(env));
    await refusal(executeTask(task, envelope(finding((e) => (e.id = "i-123; rm -rf /"))), harness(task).ports));
    expect(ddb.calls()).toHaveLength(0);
  });

  it("is the default export, and needs the table only when it runs (importing it does no I/O)", async () => {
    expect(openIncident.contract).toBe(contract);
    const task = createOpenIncident(incidentsTableStore({}));
    await expect(executeTask(task, envelope(finding()), harness(task).ports)).rejects.toMatchObject({ name: "PreconditionFailed", detail: "IRFLOW_INCIDENTS_TABLE" });
    expect(ddb.calls()).toHaveLength(0);
  });

  it("maps DynamoDB throttling to Transient, for Step Functions to retry", async () => {
    ddb.on(PutItemCommand).rejects(Object.assign(new Error("slow down"), { name: "ProvisionedThroughputExceededException", $metadata: { httpStatusCode: 400 } }));
    const task = createOpenIncident(incidentsTableStore(env));
    await expect(executeTask(task, envelope(finding()), harness(task).ports)).rejects.toMatchObject({ name: "Transient" });
  });
});
