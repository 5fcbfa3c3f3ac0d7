import { writeFile } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { auditEntry, KIND, type ClosedStatus } from "../../../functions/audit/audit-kinds.js";
import { isClosedIn, type IncidentRecord } from "../../../functions/audit/incident-record.js";
import { TaskError } from "../../../functions/contract/errors.js";
import { sha256Hex } from "../../../functions/contract/digest.js";
import type { IncidentStore } from "../../../functions/detect/incident-store.js";
import type { IncidentRecordStore } from "./incident-record.js";
import { buildReport, renderModel } from "./report.js";

/** Where a local close writes: the incident's log, the incident store, and the reports folder. */
export interface LocalClosePorts {
  readonly records: IncidentRecordStore;
  readonly incidents: IncidentStore;
  readonly reportsDirectory: string;
}

/** How the incident ends, and who closes it. */
export interface LocalClosure {
  readonly status: ClosedStatus;
  /** The incident document as it ended (post-incident's), or as it opened when the run stopped first. */
  readonly document: Record<string, unknown>;
  /** Who appends the close: the runner, or the responder of `irflow incidents close`. */
  readonly actor: string;
  /** Set when post-incident did not close it: how its execution ended, who stopped it, why. */
  readonly stopped?: NonNullable<IncidentRecord["closed"]>["stopped"];
}

export interface ClosedLocally {
  /** The markdown report (the html one is beside it). */
  readonly reportLocation: string;
  /** As the log says: the first close stands. */
  readonly status: ClosedStatus;
}

/**
 * Closes an incident locally, for post-incident (audit.close-incident) and for a run that stopped
 * before it: `incident.closed` (once: a close already in the log stands), the `closed` milestone,
 * the report in md and html rendered from the log up to the close with each report's digest
 * audited, and last the incident store, so the next event with its key opens a new incident (even
 * when a report could not be written: then it throws `ReportNotWritten` after the close).
 * Safe to repeat after a failure part way.
 */
export async function closeLocally(ports: LocalClosePorts, incidentId: string, closure: LocalClosure, now: Date): Promise<ClosedLocally> {
  const { records } = ports;
  const at = now.toISOString();
  // Closed first, then rendered: the report is the projection of the log up to and including the close
  // (projected once, after it; before it only whether a close is already there matters).
  if (!isClosedIn(records.log.entriesNow(incidentId))) {
    await records.append(incidentId, auditEntry(KIND.incidentClosed, closure.actor, at, { status: closure.status, document: closure.document, ...(closure.stopped ? { stopped: closure.stopped } : {}) }));
  }
  await records.addMilestone(incidentId, { name: "closed", at });
  const record = records.get(incidentId)!;
  // Both formats show the same model (the log up to the close), so it is built once; the files are
  // written side by side, and their entries appended in format order once both are on disk.
  const model = buildReport(record, now);
  const written = await Promise.allSettled(
    (["md", "html"] as const).map(async (format) => {
      const location = join(ports.reportsDirectory, `${incidentId}.${format}`);
      // Encoded once: the file, its digest and its size are all of these bytes.
      const bytes = Buffer.from(renderModel(model, format), "utf8");
      await writeReport(ports.reportsDirectory, location, bytes);
      return { location, format, sha256: sha256Hex(bytes), sizeBytes: bytes.length, coversSeq: record.entries };
    }),
  );
  // Recorded only when both are on disk: a retry after one failed renders both again (the log has
  // grown), and recording the one that was written each time would add it to the log once a try.
  const failed = written.find((result) => result.status === "rejected");
  if (!failed) {
    for (const result of written) if (result.status === "fulfilled") await records.append(incidentId, auditEntry(KIND.reportWritten, closure.actor, at, result.value));
  } else {
    // A report left on disk unrecorded would look like one, with nothing to check it against.
    for (const result of written) if (result.status === "fulfilled") await rm(result.value.location, { force: true }).catch(() => undefined);
  }
  // Last: from now on the next event with this key opens a new incident. A report that could not be
  // written does not hold it back: the log says closed, and a store left open would have the next
  // event join a closed incident. The report is the log's projection, which `irflow report` renders later.
  await ports.incidents.close(incidentId, now);
  records.release?.(incidentId);
  if (failed) throw new ReportNotWritten(incidentId, failed.reason);
  return { reportLocation: join(ports.reportsDirectory, `${incidentId}.md`), status: record.closed?.status ?? closure.status };
}

/** The incident is closed (log and store) but a report file could not be written: retried as transient, and says how to render it. */
export class ReportNotWritten extends TaskError {
  constructor(
    readonly incidentId: string,
    reason: unknown,
  ) {
    // What to do first: a terminal may cut the line short.
    super("Transient", `${incidentId} is closed, but its report was not written (irflow report ${incidentId} --output <file> renders it from the log): ${reason instanceof Error ? reason.message : String(reason)}`, undefined, { cause: reason });
  }
}

/** `fs.writeFile` without a FileHandle and its promises per call (two reports per incident, on the runner's thread). */
const writeBytes = (location: string, bytes: Buffer): Promise<void> =>
  new Promise((resolve, reject) => writeFile(location, bytes, (error) => (error ? reject(error) : resolve())));

async function writeReport(directory: string, location: string, bytes: Buffer): Promise<void> {
  try {
    // The folder is made when a write finds it missing (once, not for every report).
    await writeBytes(location, bytes).catch(async (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      await mkdir(directory, { recursive: true });
      await writeBytes(location, bytes);
    });
  } catch (error) {
    throw new TaskError("Transient", `could not write the report ${location}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
