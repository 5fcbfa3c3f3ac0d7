import { describe, expect, it } from "vitest";
import { serializeEvent } from "../../../functions/detect/incident-store.js";
import { SqliteIncidentStore } from "../../../workflows/local/store/sqlite-incident-store.js";
import { at, document, EVENT, execution, KEY, request, storeSemantics, T0 } from "../../support/incident-store-semantics.js";
import { useTempDatabases } from "./support.js";

// The cases of test/functions/detect/incident-store.test.ts (storeSemantics), against the embedded store.

const temp = useTempDatabases();

const make = () => new SqliteIncidentStore(temp.fresh());

storeSemantics("SqliteIncidentStore", make);

describe("SqliteIncidentStore: ids", () => {
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
    await store.close("inc-20261124-aaaaaaaaaaaa", new Date(at(60)));
    expect(store.incident("inc-20261124-aaaaaaaaaaaa")).toMatchObject({ status: "closed", closedAt: at(60) });
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
