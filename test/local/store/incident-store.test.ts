import { describe, expect, it } from "vitest";
import { serializeEvent, type OpenedIncidentDocument, type OpenOrJoinRequest } from "../../../functions/detect/incident-store.js";
import { SqliteIncidentStore } from "../../../workflows/local/store/sqlite-incident-store.js";
import { useTempDatabases } from "./support.js";

// The cases of test/functions/detect/incident-store.test.ts (storeSemantics), against the embedded store.

const temp = useTempDatabases();

const T0 = "2026-11-24T12:00:00.000Z";
const KEY = "ec2-instance-compromise#123456789012#eu-west-1#ec2-instance#i-0a1b2c3d4e5f67890";
const DAY = 24 * 3600;
const EVENT = { id: "c8c4daa7-a20c-2f03-0070-b7393dd542ad", source: "aws.guardduty", detail: { note: "raw" } };

const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();
const execution = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:ec2-instance-compromise-detect:${name}`;

function document(incidentId: string, openedAt: string): OpenedIncidentDocument {
  return {
    incidentId,
    duplicate: false,
    runbook: { id: "ec2-instance-compromise", revision: "3f2a9c1d" },
    openedAt,
    severity: { label: "high", score: 8 },
    trigger: { source: "guardduty", type: "Backdoor:EC2/C&CActivity.B", eventId: "evt-1", time: "2026-11-24T11:51:58.456Z", region: "eu-west-1", accountId: "123456789012" },
    resource: { kind: "ec2-instance", instanceId: "i-0a1b2c3d4e5f67890" },
  };
}

interface RequestOptions {
  incidentId?: string;
  eventId?: string;
  execution?: string;
  after?: number;
  key?: string;
  windowSeconds?: number;
}

function request(options: RequestOptions = {}): OpenOrJoinRequest {
  const eventId = options.eventId ?? "evt-1";
  return {
    dedupeKey: options.key ?? KEY,
    windowSeconds: options.windowSeconds ?? DAY,
    incident: { document: document(options.incidentId ?? "inc-20261124-aaaaaaaaaaaa", at(options.after ?? 0)), event: serializeEvent({ ...EVENT, id: eventId }) },
    occurrence: { eventId, time: "2026-11-24T11:51:58.456Z", executionId: execution(options.execution ?? eventId) },
  };
}

const make = () => new SqliteIncidentStore(temp.fresh());

describe("SqliteIncidentStore: open or join", () => {
  it("opens an incident for the first event of a key", async () => {
    const result = await make().openOrJoin(request());
    expect(result).toEqual({ incidentId: "inc-20261124-aaaaaaaaaaaa", duplicate: false, openedAt: T0, occurrences: 1 });
  });

  it("joins a later event with the same key, within the window, as a duplicate", async () => {
    const store = make();
    await store.openOrJoin(request());
    const joined = await store.openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", eventId: "evt-2", after: 3600 }));
    expect(joined).toEqual({ incidentId: "inc-20261124-aaaaaaaaaaaa", duplicate: true, openedAt: T0, occurrences: 2 });
  });

  it("records the same event id once, however often it is delivered", async () => {
    const store = make();
    await store.openOrJoin(request());
    await store.openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", eventId: "evt-2", execution: "a" }));
    const again = await store.openOrJoin(request({ incidentId: "inc-20261124-cccccccccccc", eventId: "evt-2", execution: "b" }));
    const opener = await store.openOrJoin(request({ incidentId: "inc-20261124-dddddddddddd", eventId: "evt-1", execution: "c" }));
    expect(again).toMatchObject({ incidentId: "inc-20261124-aaaaaaaaaaaa", duplicate: true, occurrences: 2 });
    expect(opener).toMatchObject({ incidentId: "inc-20261124-aaaaaaaaaaaa", duplicate: true, occurrences: 2 });
  });

  it("answers a retry of the opening execution with the same incident, not as a duplicate", async () => {
    const store = make();
    const first = await store.openOrJoin(request());
    const retry = await store.openOrJoin(request({ incidentId: "inc-20261124-ffffffffffff", after: 5 }));
    expect(retry).toEqual(first);
  });

  it("opens a new incident once the window has passed (the window runs from opening)", async () => {
    const store = make();
    await store.openOrJoin(request());
    await expect(store.openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", eventId: "evt-2", after: DAY }))).resolves.toMatchObject({ duplicate: true });
    const later = await store.openOrJoin(request({ incidentId: "inc-20261125-cccccccccccc", eventId: "evt-3", after: DAY + 1 }));
    expect(later).toEqual({ incidentId: "inc-20261125-cccccccccccc", duplicate: false, openedAt: at(DAY + 1), occurrences: 1 });
    expect(store.incidents().map((i) => i.incidentId)).toEqual(["inc-20261124-aaaaaaaaaaaa", "inc-20261125-cccccccccccc"]);
  });

  it("opens a new incident once the open one is closed", async () => {
    const store = make();
    await store.openOrJoin(request());
    expect(store.close("inc-20261124-aaaaaaaaaaaa", new Date(at(60)))).toBe(true);
    const next = await store.openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", eventId: "evt-2", after: 120 }));
    expect(next).toMatchObject({ incidentId: "inc-20261124-bbbbbbbbbbbb", duplicate: false });
  });

  it("keeps keys apart", async () => {
    const store = make();
    await store.openOrJoin(request());
    const other = await store.openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", eventId: "evt-2", key: `${KEY}-other` }));
    expect(other).toMatchObject({ incidentId: "inc-20261124-bbbbbbbbbbbb", duplicate: false });
  });

  it("refuses an incident id already taken, and writes nothing", async () => {
    const store = make();
    await store.openOrJoin(request());
    await expect(store.openOrJoin(request({ eventId: "evt-2", key: `${KEY}-other` }))).rejects.toThrow(/is taken/);
    expect(store.incident("inc-20261124-aaaaaaaaaaaa")!.occurrences).toHaveLength(1);
    await expect(store.openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", eventId: "evt-3", key: `${KEY}-other` }))).resolves.toMatchObject({ duplicate: false });
  });
});

describe("SqliteIncidentStore: the record", () => {
  it("keeps the opening document, the raw event and every distinct occurrence; close frees the key", async () => {
    const store = make();
    await store.openOrJoin(request());
    await store.openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", eventId: "evt-2", after: 10 }));
    const [incident, ...rest] = store.incidents();
    expect(rest).toEqual([]);
    expect(incident).toMatchObject({ incidentId: "inc-20261124-aaaaaaaaaaaa", dedupeKey: KEY, status: "open", openedAt: T0, openedBy: execution("evt-1") });
    expect(incident!.document).toEqual(document("inc-20261124-aaaaaaaaaaaa", T0));
    expect(JSON.parse(incident!.event.json!)).toEqual({ ...EVENT, id: "evt-1" });
    expect(incident!.event.sha256).toBe(serializeEvent({ ...EVENT, id: "evt-1" }).sha256);
    expect(incident!.occurrences.map((o) => [o.eventId, o.recordedAt])).toEqual([["evt-1", T0], ["evt-2", at(10)]]);
    expect(store.close("inc-20261124-aaaaaaaaaaaa", new Date(at(60)))).toBe(true);
    expect(store.incident("inc-20261124-aaaaaaaaaaaa")).toMatchObject({ status: "closed", closedAt: at(60) });
    expect(store.close("inc-20261124-000000000000")).toBe(false);
  });

  it("keeps only the digest of an event too large to store", async () => {
    const store = make();
    const big = request();
    const event = serializeEvent({ id: "x", blob: "a".repeat(400 * 1024) });
    await store.openOrJoin({ ...big, incident: { ...big.incident, event } });
    expect(store.incident("inc-20261124-aaaaaaaaaaaa")!.event).toEqual({ sha256: event.sha256, bytes: event.bytes });
  });

  it("survives close and reopen: a later event joins the incident a previous process opened", async () => {
    const dir = temp.dir();
    const first = temp.open(dir);
    await new SqliteIncidentStore(first).openOrJoin(request());
    first.close();
    const joined = await new SqliteIncidentStore(temp.open(dir)).openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", eventId: "evt-2", after: 30 }));
    expect(joined).toEqual({ incidentId: "inc-20261124-aaaaaaaaaaaa", duplicate: true, openedAt: T0, occurrences: 2 });
  });
});
