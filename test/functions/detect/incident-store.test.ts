import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type GetItemCommandInput,
  type PutItemCommandInput,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isTaskError } from "../../../functions/contract/errors.js";
import { DynamoDbIncidentStore } from "../../../functions/detect/dynamodb-incident-store.js";
import {
  jsonDepth,
  MAX_STORED_EVENT_BYTES,
  MemoryIncidentStore,
  serializeEvent,
  type OpenOrJoinResult,
} from "../../../functions/detect/incident-store.js";
import contract from "../../../functions/detect/open-incident.contract.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { at, DAY, document, EVENT, execution, KEY, request, storeSemantics, T0 } from "../../support/incident-store-semantics.js";
import { awsError } from "../../support/task-harness.js";

type Item = Record<string, AttributeValue>;

describe("serializeEvent and jsonDepth", () => {
  it("keeps the event as JSON with its SHA-256, and only the digest of one too large to store", () => {
    const small = serializeEvent(EVENT);
    expect(JSON.parse(small.json!)).toEqual(EVENT);
    expect(small.sha256).toMatch(/^[0-9a-f]{64}$/);
    const large = serializeEvent({ id: "x", blob: "a".repeat(MAX_STORED_EVENT_BYTES) });
    expect(large.json).toBeUndefined();
    expect(large.bytes).toBeGreaterThan(MAX_STORED_EVENT_BYTES);
  });

  it("measures nesting without recursion, stopping at the limit", () => {
    expect(jsonDepth({ a: { b: [1, { c: null }] } })).toBe(4);
    let deep: unknown = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(jsonDepth(deep, 64)).toBe(65);
  });
});

storeSemantics("MemoryIncidentStore", () => new MemoryIncidentStore());

describe("MemoryIncidentStore: the record", () => {
  it("keeps the opening document, the raw event and every distinct occurrence", async () => {
    const store = new MemoryIncidentStore();
    await store.openOrJoin(request());
    await store.openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", eventId: "evt-2", after: 10 }));
    const [incident, ...rest] = store.incidents();
    expect(rest).toEqual([]);
    expect(incident).toMatchObject({ incidentId: "inc-20261124-aaaaaaaaaaaa", dedupeKey: KEY, status: "open", openedAt: T0, openedBy: execution("evt-1") });
    expect(JSON.parse(incident!.event.json!)).toEqual({ ...EVENT, id: "evt-1" });
    expect(incident!.occurrences.map((o) => [o.eventId, o.recordedAt])).toEqual([["evt-1", T0], ["evt-2", at(10)]]);
    await store.close("inc-20261124-aaaaaaaaaaaa", new Date(at(60)));
    expect(store.incident("inc-20261124-aaaaaaaaaaaa")).toMatchObject({ status: "closed", closedAt: at(60) });
  });
});

// ---------------------------------------------------------------------------------------------
// DynamoDB: a table fake that applies exactly the conditional writes the store sends (atomically,
// per request, like DynamoDB), behind aws-sdk-client-mock.

const ddb = mockClient(DynamoDBClient);
const TABLE = "irflow-incidents";

type Hook = (command: "PutItem" | "UpdateItem" | "GetItem", input: PutItemCommandInput | UpdateItemCommandInput | GetItemCommandInput) => Error | undefined;

const CONDITIONS: Record<string, (item: Item | undefined, values: Item) => boolean> = {
  "attribute_not_exists(pk)": (item) => item === undefined,
  "attribute_exists(pk)": (item) => item !== undefined,
  "attribute_not_exists(pk) OR expiresAt < :now OR (#status = :closed AND eventId <> :eventId) OR (#status = :opening AND leaseExpiresAt < :now)": (item, v) =>
    item === undefined ||
    Number(item.expiresAt!.N) < Number(v[":now"]!.N) ||
    (item.status!.S === "closed" && item.eventId?.S !== v[":eventId"]!.S) ||
    (item.status!.S === "opening" && Number(item.leaseExpiresAt!.N) < Number(v[":now"]!.N)),
  "incidentId = :id AND #status IN (:opening, :open)": (item, v) => item !== undefined && item.incidentId?.S === v[":id"]!.S && ["opening", "open"].includes(item.status!.S!),
  "incidentId = :id": (item, v) => item?.incidentId?.S === v[":id"]!.S,
  "#status = :open": (item) => item?.status?.S === "open",
};

const UPDATES: Record<string, (item: Item, values: Item) => void> = {
  "SET #status = :open": (item, v) => void (item.status = v[":open"]!),
  "SET #status = :superseded": (item, v) => void (item.status = v[":superseded"]!),
  "SET #status = :closed": (item, v) => void (item.status = v[":closed"]!),
  "SET #status = :closed, closedAt = if_not_exists(closedAt, :at)": (item, v) => void Object.assign(item, { status: v[":closed"], closedAt: item.closedAt ?? v[":at"] }),
  "ADD occurrences :one": (item, v) => void (item.occurrences = { N: String(Number(item.occurrences?.N ?? "0") + Number(v[":one"]!.N)) }),
};

class FakeTable {
  readonly items = new Map<string, Item>();
  readonly hooks: Hook[] = [];

  install(): void {
    ddb.on(PutItemCommand).callsFake((input: PutItemCommandInput) => this.respond("PutItem", input, () => this.put(input)));
    ddb.on(UpdateItemCommand).callsFake((input: UpdateItemCommandInput) => this.respond("UpdateItem", input, () => this.update(input)));
    ddb.on(GetItemCommand).callsFake((input: GetItemCommandInput) => this.respond("GetItem", input, () => this.get(input)));
  }

  item(pk: string, sk: string): Item | undefined {
    return this.items.get(`${pk}|${sk}`);
  }

  private respond<T>(command: "PutItem" | "UpdateItem" | "GetItem", input: PutItemCommandInput | UpdateItemCommandInput | GetItemCommandInput, apply: () => T): Promise<T> {
    expect(input.TableName).toBe(TABLE);
    for (const hook of this.hooks) {
      const fault = hook(command, input);
      if (fault) return Promise.reject(fault);
    }
    try {
      return Promise.resolve(apply());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private id(key: Item): string {
    return `${key.pk!.S!}|${key.sk!.S!}`;
  }

  private check(expression: string | undefined, item: Item | undefined, values: Item | undefined, returnOld: string | undefined): void {
    if (expression === undefined) return;
    const condition = CONDITIONS[expression];
    if (!condition) throw new Error(`the fake table does not know the condition ${expression}`);
    if (!condition(item, values ?? {})) {
      throw new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {}, ...(returnOld === "ALL_OLD" && item ? { Item: structuredClone(item) } : {}) });
    }
  }

  private put(input: PutItemCommandInput) {
    const id = this.id(input.Item!);
    this.check(input.ConditionExpression, this.items.get(id), input.ExpressionAttributeValues, input.ReturnValuesOnConditionCheckFailure);
    this.items.set(id, structuredClone(input.Item!));
    return {};
  }

  private update(input: UpdateItemCommandInput) {
    const id = this.id(input.Key!);
    const existing = this.items.get(id);
    this.check(input.ConditionExpression, existing, input.ExpressionAttributeValues, input.ReturnValuesOnConditionCheckFailure);
    const item = existing ?? structuredClone(input.Key!);
    const update = UPDATES[input.UpdateExpression!];
    if (!update) throw new Error(`the fake table does not know the update ${input.UpdateExpression}`);
    update(item, input.ExpressionAttributeValues ?? {});
    this.items.set(id, item);
    if (input.ReturnValues === "UPDATED_NEW") return { Attributes: { occurrences: item.occurrences! } };
    return {};
  }

  private get(input: GetItemCommandInput) {
    expect(input.ConsistentRead).toBe(true);
    const item = this.items.get(this.id(input.Key!));
    if (!item) return {};
    if (!input.ProjectionExpression) return { Item: structuredClone(item) };
    return { Item: Object.fromEntries(input.ProjectionExpression.split(",").map((name) => [name.trim(), item[name.trim()]]).filter(([, value]) => value !== undefined)) as Item };
  }
}

let table: FakeTable;

function dynamoStore(): DynamoDbIncidentStore {
  return new DynamoDbIncidentStore(new DynamoDBClient({ region: "eu-west-1" }), TABLE);
}

/** Step Functions' Retry on Transient: try again until the store answers. */
async function withRetries(call: () => Promise<OpenOrJoinResult>, attempts = 5): Promise<OpenOrJoinResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isTaskError(error) || error.name !== "Transient" || attempt >= attempts) throw error;
    }
  }
}

describe("DynamoDbIncidentStore", () => {
  beforeEach(() => {
    ddb.reset();
    table = new FakeTable();
    table.install();
  });
  afterEach(() => expectCallsDeclared(contract, { DynamoDBClient: ddb }));

  storeSemantics("DynamoDbIncidentStore (conditional writes)", dynamoStore);

  it("opens with a conditional claim, the incident record, the first occurrence, then marks the claim open", async () => {
    await dynamoStore().openOrJoin(request());
    const puts = ddb.commandCalls(PutItemCommand).map((call) => call.args[0].input);
    expect(puts).toHaveLength(3);
    const now = Date.parse(T0) / 1000;
    expect(puts[0]).toEqual({
      TableName: TABLE,
      Item: {
        pk: { S: `dedupe#${KEY}` },
        sk: { S: "dedupe" },
        incidentId: { S: "inc-20261124-aaaaaaaaaaaa" },
        status: { S: "opening" },
        openedAt: { S: T0 },
        expiresAt: { N: String(now + DAY) },
        leaseExpiresAt: { N: String(now + 600) },
        executionId: { S: execution("evt-1") },
        eventId: { S: "evt-1" },
      },
      ConditionExpression: "attribute_not_exists(pk) OR expiresAt < :now OR (#status = :closed AND eventId <> :eventId) OR (#status = :opening AND leaseExpiresAt < :now)",
      ExpressionAttributeNames: { "#status": "status" },
      ExpressionAttributeValues: { ":now": { N: String(now) }, ":closed": { S: "closed" }, ":opening": { S: "opening" }, ":eventId": { S: "evt-1" } },
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    });
    expect(puts[1]).toMatchObject({
      TableName: TABLE,
      Item: {
        pk: { S: "incident#inc-20261124-aaaaaaaaaaaa" },
        sk: { S: "incident" },
        status: { S: "open" },
        runbookId: { S: "ec2-instance-compromise" },
        runbookRevision: { S: "3f2a9c1d" },
        dedupeKey: { S: KEY },
        openedAt: { S: T0 },
        openedBy: { S: execution("evt-1") },
        trigger: { S: JSON.stringify(document("x", T0).trigger) },
        event: { S: JSON.stringify({ ...EVENT, id: "evt-1" }) },
        eventSha256: { S: serializeEvent({ ...EVENT, id: "evt-1" }).sha256 },
        occurrences: { N: "1" },
      },
      ConditionExpression: "attribute_not_exists(pk)",
    });
    expect(JSON.parse(puts[1]!.Item!.document!.S!)).toEqual(document("inc-20261124-aaaaaaaaaaaa", T0));
    expect(puts[2]).toEqual({
      TableName: TABLE,
      Item: {
        pk: { S: "incident#inc-20261124-aaaaaaaaaaaa" },
        sk: { S: "occurrence#evt-1" },
        eventId: { S: "evt-1" },
        time: { S: "2026-11-24T11:51:58.456Z" },
        executionId: { S: execution("evt-1") },
        recordedAt: { S: T0 },
      },
      ConditionExpression: "attribute_not_exists(pk)",
    });
    expect(ddb.commandCalls(UpdateItemCommand).map((call) => call.args[0].input)).toEqual([
      {
        TableName: TABLE,
        Key: { pk: { S: `dedupe#${KEY}` }, sk: { S: "dedupe" } },
        UpdateExpression: "SET #status = :open",
        ConditionExpression: "incidentId = :id AND #status IN (:opening, :open)",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":id": { S: "inc-20261124-aaaaaaaaaaaa" }, ":opening": { S: "opening" }, ":open": { S: "open" } },
      },
    ]);
    expect(table.item(`dedupe#${KEY}`, "dedupe")!.status).toEqual({ S: "open" });
  });

  it("joins on a lost race: ConditionalCheckFailedException with the holder, then the occurrence and the counter", async () => {
    const holder: Item = {
      pk: { S: `dedupe#${KEY}` },
      sk: { S: "dedupe" },
      incidentId: { S: "inc-20261124-aaaaaaaaaaaa" },
      status: { S: "open" },
      openedAt: { S: T0 },
      executionId: { S: execution("winner") },
    };
    ddb.reset();
    ddb.on(PutItemCommand, { Item: { sk: { S: "dedupe" } } }).rejects(new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {}, Item: holder }));
    ddb.on(PutItemCommand, { Item: { sk: { S: "occurrence#evt-2" } } }).resolves({});
    ddb.on(UpdateItemCommand).resolves({ Attributes: { occurrences: { N: "2" } } });
    const result = await dynamoStore().openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", eventId: "evt-2" }));
    expect(result).toEqual({ incidentId: "inc-20261124-aaaaaaaaaaaa", duplicate: true, openedAt: T0, occurrences: 2 });
    expect(ddb.commandCalls(PutItemCommand).map((call) => call.args[0].input.Item!.pk!.S)).toEqual([`dedupe#${KEY}`, "incident#inc-20261124-aaaaaaaaaaaa"]);
    expect(ddb.commandCalls(UpdateItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: "incident#inc-20261124-aaaaaaaaaaaa" }, sk: { S: "incident" } },
      UpdateExpression: "ADD occurrences :one",
      ConditionExpression: "attribute_exists(pk)",
      ExpressionAttributeValues: { ":one": { N: "1" } },
      ReturnValues: "UPDATED_NEW",
    });
  });

  it("reads the holder when DynamoDB does not return it with the failed condition", async () => {
    const store = dynamoStore();
    await store.openOrJoin(request());
    table.hooks.push((command, input) => {
      const put = input as PutItemCommandInput;
      if (command === "PutItem" && put.Item?.sk?.S === "dedupe") return new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} });
      return undefined;
    });
    const joined = await store.openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", eventId: "evt-2" }));
    expect(joined).toMatchObject({ incidentId: "inc-20261124-aaaaaaaaaaaa", duplicate: true, occurrences: 2 });
    expect(ddb.commandCalls(GetItemCommand)[0]!.args[0].input.Key).toEqual({ pk: { S: `dedupe#${KEY}` }, sk: { S: "dedupe" } });
  });

  it("opens exactly one incident for concurrent first events; the others retry while it opens, then join", async () => {
    const store = dynamoStore();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => withRetries(() => store.openOrJoin(request({ incidentId: `inc-20261124-${String(i).padStart(12, "0")}`, eventId: `evt-${i}` })))),
    );
    const opened = results.filter((r) => !r.duplicate);
    expect(opened).toHaveLength(1);
    expect(new Set(results.map((r) => r.incidentId))).toEqual(new Set([opened[0]!.incidentId]));
    const records = [...table.items.values()].filter((item) => item.sk!.S === "incident");
    expect(records).toHaveLength(1);
    expect(records[0]!.occurrences).toEqual({ N: "20" });
    expect([...table.items.values()].filter((item) => item.sk!.S!.startsWith("occurrence#"))).toHaveLength(20);
  });

  it("tells a joiner to retry (Transient) while the holder is still opening, without writing", async () => {
    table.hooks.push((command, input) => (command === "PutItem" && (input as PutItemCommandInput).Item?.sk?.S === "incident" ? awsError("ProvisionedThroughputExceededException") : undefined));
    const store = dynamoStore();
    await expect(store.openOrJoin(request())).rejects.toMatchObject({ name: "Transient" });
    const before = table.items.size;
    await expect(store.openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", eventId: "evt-2" }))).rejects.toMatchObject({ name: "Transient", detail: "opening" });
    expect(table.items.size).toBe(before);
  });

  it("lets the opening execution's retry finish the same incident after a failure halfway", async () => {
    let failures = 1;
    table.hooks.push((command, input) => {
      const put = input as PutItemCommandInput;
      if (command === "PutItem" && put.Item?.sk?.S === "occurrence#evt-1" && failures-- > 0) return awsError("ThrottlingException");
      return undefined;
    });
    const store = dynamoStore();
    await expect(store.openOrJoin(request())).rejects.toMatchObject({ name: "Transient" });
    // Step Functions retries the same execution; the task mints a fresh id, the claim keeps the first.
    const retry = await store.openOrJoin(request({ incidentId: "inc-20261124-ffffffffffff", after: 3 }));
    expect(retry).toEqual({ incidentId: "inc-20261124-aaaaaaaaaaaa", duplicate: false, openedAt: T0, occurrences: 1 });
    expect(table.item("incident#inc-20261124-ffffffffffff", "incident")).toBeUndefined();
    expect(table.item(`dedupe#${KEY}`, "dedupe")!.status).toEqual({ S: "open" });
    const joined = await store.openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", eventId: "evt-2", after: 4 }));
    expect(joined).toMatchObject({ incidentId: "inc-20261124-aaaaaaaaaaaa", duplicate: true, occurrences: 2 });
  });

  it("hands the key on when the opener died: after its lease a new event opens a new incident", async () => {
    table.hooks.push((command, input) => (command === "PutItem" && (input as PutItemCommandInput).Item?.pk?.S === "incident#inc-20261124-aaaaaaaaaaaa" ? awsError("InternalServerError", 500) : undefined));
    const store = dynamoStore();
    await expect(store.openOrJoin(request())).rejects.toMatchObject({ name: "Transient" });
    await expect(store.openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", eventId: "evt-2", after: 599 }))).rejects.toMatchObject({ name: "Transient" });
    const taken = await store.openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", eventId: "evt-2", after: 601 }));
    expect(taken).toMatchObject({ incidentId: "inc-20261124-bbbbbbbbbbbb", duplicate: false });
    // The dead opener, should it come back, joins the incident that holds the key.
    await expect(store.openOrJoin(request({ after: 700 }))).resolves.toMatchObject({ incidentId: "inc-20261124-bbbbbbbbbbbb", duplicate: true });
  });

  it("marks its record superseded and retries when the key was taken over before it finished", async () => {
    table.hooks.push((command, input) => {
      const update = input as UpdateItemCommandInput;
      if (command === "UpdateItem" && update.UpdateExpression === "SET #status = :open") {
        // Another event took the key over between our record and our claim's flip.
        table.items.set(`dedupe#${KEY}|dedupe`, { ...table.item(`dedupe#${KEY}`, "dedupe")!, incidentId: { S: "inc-20261124-eeeeeeeeeeee" }, executionId: { S: execution("other") }, status: { S: "open" } });
        table.items.set("incident#inc-20261124-eeeeeeeeeeee|incident", { pk: { S: "incident#inc-20261124-eeeeeeeeeeee" }, sk: { S: "incident" }, occurrences: { N: "1" } });
      }
      return undefined;
    });
    const store = dynamoStore();
    await expect(store.openOrJoin(request())).rejects.toMatchObject({ name: "Transient", detail: "superseded" });
    expect(table.item("incident#inc-20261124-aaaaaaaaaaaa", "incident")!.status).toEqual({ S: "superseded" });
    table.hooks.length = 0;
    await expect(store.openOrJoin(request({ after: 2 }))).resolves.toMatchObject({ incidentId: "inc-20261124-eeeeeeeeeeee", duplicate: true, occurrences: 2 });
  });

  it("counts a redelivered event once: no counter update, the count is read back", async () => {
    const store = dynamoStore();
    await store.openOrJoin(request());
    await store.openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", eventId: "evt-2", execution: "a" }));
    ddb.resetHistory();
    const again = await store.openOrJoin(request({ incidentId: "inc-20261124-cccccccccccc", eventId: "evt-2", execution: "b" }));
    expect(again).toMatchObject({ duplicate: true, occurrences: 2 });
    expect(ddb.commandCalls(UpdateItemCommand)).toHaveLength(0);
    expect(ddb.commandCalls(GetItemCommand)[0]!.args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: { S: "incident#inc-20261124-aaaaaaaaaaaa" }, sk: { S: "incident" } },
      ConsistentRead: true,
      ProjectionExpression: "occurrences",
    });
  });

  it("maps DynamoDB throttling to Transient, on every write", async () => {
    for (const [code, target] of [
      ["ProvisionedThroughputExceededException", "dedupe"],
      ["ThrottlingException", "incident"],
      ["RequestLimitExceeded", "occurrence#evt-1"],
    ] as const) {
      table = new FakeTable();
      ddb.reset();
      table.install();
      table.hooks.push((command, input) => (command === "PutItem" && (input as PutItemCommandInput).Item?.sk?.S === target ? awsError(code) : undefined));
      await expect(dynamoStore().openOrJoin(request()), code).rejects.toMatchObject({ name: "Transient", detail: code });
    }
  });

  it("refuses to adopt a record another incident holds under the same id (a collision)", async () => {
    table.items.set("incident#inc-20261124-aaaaaaaaaaaa|incident", { pk: { S: "incident#inc-20261124-aaaaaaaaaaaa" }, sk: { S: "incident" }, openedBy: { S: execution("someone-else") } });
    await expect(dynamoStore().openOrJoin(request())).rejects.toMatchObject({ name: "PreconditionFailed" });
  });

  it("closes: the record and its claim, so the key is free", async () => {
    const store = dynamoStore();
    await store.openOrJoin(request());
    await store.close("inc-20261124-aaaaaaaaaaaa", new Date(at(60)));
    expect(table.item("incident#inc-20261124-aaaaaaaaaaaa", "incident")).toMatchObject({ status: { S: "closed" }, closedAt: { S: at(60) } });
    expect(table.item(`dedupe#${KEY}`, "dedupe")!.status).toEqual({ S: "closed" });
    await expect(store.close("inc-20261124-000000000000", new Date(at(60)))).rejects.toMatchObject({ name: "PreconditionFailed" });
  });
});
