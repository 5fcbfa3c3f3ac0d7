import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KIND } from "../../../functions/audit/audit-kinds.js";
import { projectRecord } from "../../../functions/audit/incident-record.js";
import { MemoryAuditLog } from "../../../functions/audit/memory-audit-log.js";
import type { IncidentStore } from "../../../functions/detect/incident-store.js";
import { closeLocally, ReportNotWritten } from "../../../workflows/local/incident/close-locally.js";
import { AuditedIncidentRecords } from "../../../workflows/local/incident/incident-record.js";
import { tempDir as makeTempDir } from "../../support/temp-dir.js";

const ID = "inc-ünïcødé-1";
const AT = "2026-11-24T12:00:00.000Z";
const incidents = { close: () => Promise.resolve() } as unknown as IncidentStore;
const tempDir = () => makeTempDir("irflow-close-reports-");

async function openedRecords() {
  const log = new MemoryAuditLog();
  const records = new AuditedIncidentRecords(log);
  // Non-ASCII data: the recorded size is bytes, not characters.
  await records.append(ID, { kind: KIND.incidentOpened, actor: "function:detect.open-incident", at: AT, body: { runbook: { id: "ssh-rdp-brute-force", revision: "a".repeat(64) }, document: { incidentId: ID, note: "é漢🙂" } } });
  return { log, records };
}

describe("a local close's report files", () => {
  it("are recorded with the digest and byte size of exactly what is on disk, in a folder made when missing", async () => {
    const { log, records } = await openedRecords();
    const reportsDirectory = join(tempDir(), "not", "yet");
    await closeLocally({ records, incidents, reportsDirectory }, ID, { status: "resolved", document: { incidentId: ID }, actor: "system:irflow-local" }, new Date(AT));
    const reports = projectRecord(ID, log.entriesNow(ID)).reports;
    expect(reports.map((r) => r.format)).toEqual(["md", "html"]);
    for (const report of reports) {
      const bytes = readFileSync(report.location);
      expect(report.location).toBe(join(reportsDirectory, `${ID}.${report.format}`));
      expect(report.sizeBytes).toBe(bytes.length);
      expect(report.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
      expect(bytes.toString("utf8")).toContain("inc-ünïcødé-1");
    }
  });

  it("a folder that cannot be written is a transient failure naming the file and how to render the report; no report is recorded, and the incident is closed all the same", async () => {
    const { log, records } = await openedRecords();
    const blocked = join(tempDir(), "a-file");
    writeFileSync(blocked, "not a folder");
    const closed: string[] = [];
    const store = { close: (incidentId: string) => Promise.resolve(void closed.push(incidentId)) } as unknown as IncidentStore;
    const closing = closeLocally({ records, incidents: store, reportsDirectory: blocked }, ID, { status: "resolved", document: {}, actor: "system:irflow-local" }, new Date(AT));
    await expect(closing).rejects.toBeInstanceOf(ReportNotWritten);
    await expect(closing).rejects.toMatchObject({
      name: "Transient",
      message: `${ID} is closed, but its report was not written (irflow report ${ID} --output <file> renders it from the log): could not write the report ${join(blocked, `${ID}.md`)}: ENOTDIR: not a directory, open '${join(blocked, `${ID}.md`)}'`,
    });
    expect(projectRecord(ID, log.entriesNow(ID)).reports).toEqual([]);
    // The log says closed, and so does the store: the next event with its key opens a new incident, not joins this one.
    expect(projectRecord(ID, log.entriesNow(ID)).closed).toMatchObject({ status: "resolved" });
    expect(closed).toEqual([ID]);
  });

  it("one report written and the other not records neither, however often the close is tried again (each try renders both anew)", async () => {
    const { log, records } = await openedRecords();
    const reportsDirectory = tempDir();
    // A folder where the md report goes: its write fails, the html one's succeeds.
    mkdirSync(join(reportsDirectory, `${ID}.md`));
    for (let attempt = 0; attempt < 3; attempt++) {
      await expect(closeLocally({ records, incidents, reportsDirectory }, ID, { status: "resolved", document: {}, actor: "system:irflow-local" }, new Date(AT))).rejects.toBeInstanceOf(ReportNotWritten);
    }
    expect(log.entriesNow(ID).map((entry) => entry.kind)).toEqual([KIND.incidentOpened, KIND.incidentClosed, KIND.milestone]);
    // Nor is the html left on disk unrecorded, looking like a report with nothing to check it against.
    expect(existsSync(join(reportsDirectory, `${ID}.html`))).toBe(false);
  });
});

