import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import { auditKey, auditLogFromEnv, S3AuditLog } from "../../../functions/audit/s3-audit-log.js";
import { verifyChain } from "../../../functions/audit/verify-chain.js";
import { awsError } from "../../support/task-harness.js";
import { fakeS3 } from "./s3-fake.js";

const ID = "inc-20261124-0123456789ab";
const BUCKET = "irflow-audit-123456789012";
const NOW = new Date("2026-11-24T12:00:00.000Z");
const entry = (n: number) => ({ kind: "step.ran", actor: "function:t", at: NOW.toISOString(), body: { n } });

let s3 = fakeS3();
afterEach(() => {
  s3.mock.restore();
  s3 = fakeS3();
});

describe("S3AuditLog", () => {
  it("writes one object per entry under incidents/<id>/audit/, never overwriting, and finds the head by listing (several pages)", async () => {
    const log = new S3AuditLog(s3.client, { bucket: BUCKET, now: () => NOW });
    for (let n = 1; n <= 5; n++) await log.append(ID, entry(n));
    expect([...s3.objects.keys()]).toEqual([1, 2, 3, 4, 5].map((seq) => `${BUCKET}/${auditKey(ID, seq)}`));
    expect(auditKey(ID, 3)).toBe(`incidents/${ID}/audit/000000000003.json`);
    for (const call of s3.mock.commandCalls(PutObjectCommand)) expect(call.args[0].input).toMatchObject({ IfNoneMatch: "*", ContentType: "application/json" });
    const entries = await log.entries(ID);
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect((await verifyChain(ID, entries)).ok).toBe(true);
  });

  it("sets Object Lock retention per object when configured", async () => {
    const log = auditLogFromEnv(s3.client, { IRFLOW_AUDIT_BUCKET: BUCKET, IRFLOW_AUDIT_LOCK_MODE: "COMPLIANCE", IRFLOW_AUDIT_RETAIN_DAYS: "2555" }, () => NOW);
    await log.append(ID, entry(1));
    expect(s3.mock.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({ ObjectLockMode: "COMPLIANCE", ObjectLockRetainUntilDate: new Date(NOW.getTime() + 2555 * 86_400_000) });
  });

  it("refuses a missing bucket or a half-configured lock, naming the variable", () => {
    expect(() => auditLogFromEnv(s3.client, {})).toThrow("IRFLOW_AUDIT_BUCKET");
    expect(() => auditLogFromEnv(s3.client, { IRFLOW_AUDIT_BUCKET: BUCKET, IRFLOW_AUDIT_LOCK_MODE: "FOREVER" })).toThrow("IRFLOW_AUDIT_LOCK_MODE");
    expect(() => auditLogFromEnv(s3.client, { IRFLOW_AUDIT_BUCKET: BUCKET, IRFLOW_AUDIT_LOCK_MODE: "GOVERNANCE" })).toThrow("IRFLOW_AUDIT_RETAIN_DAYS");
  });

  it("a writer that loses the race for a seq (412) re-reads the head and chains after the winner", async () => {
    const log = new S3AuditLog(s3.client, { bucket: BUCKET, now: () => NOW });
    await log.append(ID, entry(1));
    // Another writer slips entry 2 in between this writer's listing and its put.
    const other = new S3AuditLog(s3.client, { bucket: BUCKET, now: () => NOW });
    const put = s3.mock.commandCalls(PutObjectCommand).length;
    let raced = false;
    const original = s3.client.send.bind(s3.client);
    const racing = Object.assign(Object.create(s3.client) as typeof s3.client, {
      send: async (command: unknown) => {
        if (!raced && command instanceof PutObjectCommand) {
          raced = true;
          await other.append(ID, entry(99));
        }
        return original(command as PutObjectCommand);
      },
    });
    await new S3AuditLog(racing, { bucket: BUCKET, now: () => NOW }).append(ID, entry(2));
    const entries = await log.entries(ID);
    expect(entries.map((e) => e.body.n)).toEqual([1, 99, 2]);
    expect((await verifyChain(ID, entries)).ok).toBe(true);
    expect(s3.mock.commandCalls(PutObjectCommand).length).toBe(put + 3); // the winner, the lost attempt, the retry
  });

  it("throttling and denial surface as named task errors", async () => {
    const log = new S3AuditLog(s3.client, { bucket: BUCKET });
    s3.mock.on(PutObjectCommand).rejects(awsError("SlowDown", 503));
    await expect(log.append(ID, entry(1))).rejects.toMatchObject({ name: "Transient" });
    s3.mock.on(PutObjectCommand).rejects(awsError("AccessDenied", 403));
    await expect(log.append(ID, entry(1))).rejects.toMatchObject({ name: "Forbidden" });
  });

  it("an object moved to another key or made unreadable is located by verification", async () => {
    const log = new S3AuditLog(s3.client, { bucket: BUCKET, now: () => NOW });
    for (let n = 1; n <= 4; n++) await log.append(ID, entry(n));
    const k = (seq: number) => `${BUCKET}/${auditKey(ID, seq)}`;
    const two = s3.objects.get(k(2))!;
    s3.objects.set(k(2), s3.objects.get(k(3))!);
    s3.objects.set(k(3), two);
    expect((await verifyChain(ID, await log.entries(ID))).problems[0]).toMatchObject({ seq: 2, kind: "reordered" });
    s3.objects.set(k(4), { body: "{not json", input: {} });
    expect((await verifyChain(ID, await log.entries(ID))).problems.map((p) => [p.seq, p.kind])).toContainEqual([4, "edited"]);
  });
});
