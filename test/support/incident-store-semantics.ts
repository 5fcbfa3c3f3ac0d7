import { describe, expect, it } from "vitest";
import { serializeEvent, type IncidentStore, type OpenedIncidentDocument, type OpenOrJoinRequest } from "../../functions/detect/incident-store.js";

// Fixtures and the behaviour every IncidentStore must have (memory, DynamoDB, SQLite).

export const T0 = "2026-11-24T12:00:00.000Z";
export const KEY = "ec2-instance-compromise#123456789012#eu-west-1#ec2-instance#i-0a1b2c3d4e5f67890";
export const DAY = 24 * 3600;
export const EVENT = { id: "c8c4daa7-a20c-2f03-0070-b7393dd542ad", source: "aws.guardduty", detail: { note: "raw" } };

export const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();
export const execution = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:ec2-instance-compromise-detect:${name}`;

export function document(incidentId: string, openedAt: string): OpenedIncidentDocument {
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

export interface RequestOptions {
  incidentId?: string;
  eventId?: string;
  execution?: string;
  /** Seconds after T0. */
  after?: number;
  key?: string;
  windowSeconds?: number;
}

export function request(options: RequestOptions = {}): OpenOrJoinRequest {
  const eventId = options.eventId ?? "evt-1";
  return {
    dedupeKey: options.key ?? KEY,
    windowSeconds: options.windowSeconds ?? DAY,
    incident: { document: document(options.incidentId ?? "inc-20261124-aaaaaaaaaaaa", at(options.after ?? 0)), event: serializeEvent({ ...EVENT, id: eventId }) },
    occurrence: { eventId, time: "2026-11-24T11:51:58.456Z", executionId: execution(options.execution ?? eventId) },
  };
}

/** The semantics every store must have; run against the memory store and a conditional DynamoDB fake. */
export function storeSemantics(name: string, make: () => IncidentStore) {
  describe(`${name}: open or join`, () => {
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
    });

    it("opens a new incident once the open one is closed", async () => {
      const store = make();
      await store.openOrJoin(request());
      await store.close("inc-20261124-aaaaaaaaaaaa", new Date(at(60)));
      const next = await store.openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", eventId: "evt-2", after: 120 }));
      expect(next).toMatchObject({ incidentId: "inc-20261124-bbbbbbbbbbbb", duplicate: false });
    });

    it("joins while open; a close frees the key for the next event, and closing again changes nothing", async () => {
      const store = make();
      await store.openOrJoin(request());
      await expect(store.openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", eventId: "evt-2", after: 30 }))).resolves.toMatchObject({ incidentId: "inc-20261124-aaaaaaaaaaaa", duplicate: true });
      await store.close("inc-20261124-aaaaaaaaaaaa", new Date(at(60)));
      await store.close("inc-20261124-aaaaaaaaaaaa", new Date(at(90)));
      const next = await store.openOrJoin(request({ incidentId: "inc-20261124-cccccccccccc", eventId: "evt-3", after: 120 }));
      expect(next).toEqual({ incidentId: "inc-20261124-cccccccccccc", duplicate: false, openedAt: at(120), occurrences: 1 });
      // A late close of the old incident leaves the new one's claim alone.
      await store.close("inc-20261124-aaaaaaaaaaaa", new Date(at(150)));
      await expect(store.openOrJoin(request({ incidentId: "inc-20261124-dddddddddddd", eventId: "evt-4", after: 180 }))).resolves.toMatchObject({ incidentId: "inc-20261124-cccccccccccc", duplicate: true });
    });

    it("answers the opening event delivered again after the close with the closed incident, as a duplicate", async () => {
      const store = make();
      await store.openOrJoin(request());
      await store.close("inc-20261124-aaaaaaaaaaaa", new Date(at(60)));
      const again = await store.openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", execution: "redelivery", after: 120 }));
      expect(again).toEqual({ incidentId: "inc-20261124-aaaaaaaaaaaa", duplicate: true, openedAt: T0, occurrences: 1 });
      const fresh = await store.openOrJoin(request({ incidentId: "inc-20261124-cccccccccccc", eventId: "evt-2", after: 180 }));
      expect(fresh).toMatchObject({ incidentId: "inc-20261124-cccccccccccc", duplicate: false });
    });

    it("refuses to close an incident it does not have (PreconditionFailed)", async () => {
      await expect(make().close("inc-20261124-000000000000", new Date(at(60)))).rejects.toMatchObject({ name: "PreconditionFailed" });
    });

    it("keeps keys apart", async () => {
      const store = make();
      await store.openOrJoin(request());
      const other = await store.openOrJoin(request({ incidentId: "inc-20261124-bbbbbbbbbbbb", eventId: "evt-2", key: `${KEY}-other` }));
      expect(other).toMatchObject({ incidentId: "inc-20261124-bbbbbbbbbbbb", duplicate: false });
    });
  });
}

