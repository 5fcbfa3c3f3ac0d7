import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { verifyChain, verifyLinks } from "../functions/audit/verify-chain.js";
import { EmbeddedDatabase } from "../workflows/local/store/embedded-database.js";
import { SqliteAuditLog } from "../workflows/local/store/sqlite-audit-log.js";
import { figure, percentile, timeRuns, timeRunsAsync, type Figure } from "./measure.js";

const COMMAND = "npm run bench -- verify";
const ENTRIES = 10_000;
const INCIDENT = "inc-20261124-0123456789ab";

/** A step-run-sized body (a change with before/after, an evidence item, an undo): ~600 bytes of JSON. */
function body(n: number): Record<string, unknown> {
  return {
    stepId: `contain/step-${n % 40}`,
    record: {
      task: "ec2.isolate-instance",
      mode: "run",
      at: new Date(Date.UTC(2026, 10, 24, 12, 0, 0, n)).toISOString(),
      executionId: `arn:aws:states:eu-west-1:123456789012:execution:irflow-ec2-instance-compromise-contain:${INCIDENT}-contain`,
      summary: `isolated i-0a1b2c3d4e5f67890 (entry ${n}): eni-0f1e2d3c4b5a69788 was sg-0a1b2c3d4e5f60718`,
      changes: [{ resource: "i-0a1b2c3d4e5f67890", action: "ModifyNetworkInterfaceAttribute groups", before: ["sg-0a1b2c3d4e5f60718"], after: ["sg-8ec2b9835cd5190ec"] }],
      evidence: [{ kind: "ec2-instance-metadata", location: "i-0a1b2c3d4e5f67890", sha256: "7c4f8e8a445bb1c3d176aa90721fa7fc956f5400e130b5ab0f39e5c122466c0c", description: "description of the instance" }],
      undo: { task: "ec2.restore-security-groups", input: { instanceId: "i-0a1b2c3d4e5f67890", groups: ["sg-0a1b2c3d4e5f60718"] } },
    },
  };
}

/**
 * One incident of 10,000 entries: read them from SQLite, re-hash every entry and re-walk the chain.
 * Bodies are parsed on first read, so the chain figures hash each stored text (proved canonical
 * first) without building its object; `irflow verify` also scans the bodies for evidence, which
 * parses them all: measured separately.
 */
export async function benchVerify(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), "irflow-bench-verify-"));
  let database: EmbeddedDatabase | undefined;
  try {
    database = EmbeddedDatabase.open({ dir });
    const log = new SqliteAuditLog(database);
    database.immediate(() => {
      for (let n = 0; n < ENTRIES; n++) log.appendNow(INCIDENT, { kind: "step.ran", actor: "function:ec2.isolate-instance", at: new Date(Date.UTC(2026, 10, 24, 12, 0, 0, n)).toISOString(), body: body(n) });
    });
    const verify = () => {
      const verdict = verifyLinks(INCIDENT, log.entriesNow(INCIDENT));
      if (!verdict.ok || verdict.entries !== ENTRIES) throw new Error("benchmark log does not verify");
    };
    const runs = timeRuns(verify, 15);
    const readOnly = timeRuns(() => void log.entriesNow(INCIDENT), 15);
    const withEvidence = await timeRunsAsync(async () => {
      const verdict = await verifyChain(INCIDENT, log.entriesNow(INCIDENT));
      if (!verdict.ok || verdict.evidence.length !== ENTRIES) throw new Error("benchmark log does not verify");
    }, 15);
    return [
      figure("verify: 10,000 entries, median", percentile(runs, 50), "ms", COMMAND, { value: 200, comparison: "<=" }, "read from SQLite, re-hash every entry, re-walk the chain"),
      figure("verify: 10,000 entries, p95", percentile(runs, 95), "ms", COMMAND),
      figure("verify: of which reading 10,000 rows", percentile(readOnly, 50), "ms", COMMAND, undefined, "rows into entries; bodies stay text until read"),
      figure("verify: 10,000 entries as irflow verify runs it, median", percentile(withEvidence, 50), "ms", COMMAND, undefined, "the above plus the evidence scan, which parses every body (no evidence reader: nothing re-hashed)"),
    ];
  } finally {
    database?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
