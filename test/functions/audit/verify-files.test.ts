import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { EvidenceMissing } from "../../../functions/audit/evidence-reader.js";
import { FileEvidenceReader, filePathOf } from "../../../functions/audit/file-evidence-reader.js";
import { MemoryAuditLog } from "../../../functions/audit/memory-audit-log.js";
import { verifyChain } from "../../../functions/audit/verify-chain.js";
import { tempDir } from "../../support/temp-dir.js";

const ID = "inc-20261124-0123456789ab";
const at = (n: number) => new Date(Date.UTC(2026, 10, 24, 12, 0, n)).toISOString();
const sha = (text: string) => createHash("sha256").update(text).digest("hex");

describe("FileEvidenceReader", () => {
  it("re-hashes a file named by its absolute path or a file: URL; other locations are not files", async () => {
    const dir = tempDir("irflow-file-evidence-");
    const file = join(dir, "report.md");
    writeFileSync(file, "# report\n");
    const reader = new FileEvidenceReader();
    await expect(reader.read(file)).resolves.toEqual({ sha256: sha("# report\n"), sizeBytes: 9 });
    await expect(reader.read(pathToFileURL(file).href)).resolves.toEqual({ sha256: sha("# report\n"), sizeBytes: 9 });
    for (const location of ["s3://bucket/key", "snap-0123", "i-0123", "arn:aws:s3:::b/k", "reports/x.md", "file://host:bad"]) await expect(reader.read(location), location).resolves.toBeUndefined();
    expect(filePathOf("relative/path")).toBeUndefined();
  });

  it("a file that is not there, or a folder in its place, is EvidenceMissing naming the path, not a hash", async () => {
    const dir = tempDir("irflow-file-evidence-");
    const reader = new FileEvidenceReader();
    await expect(reader.read(join(dir, "gone.md"))).rejects.toThrow(EvidenceMissing);
    await expect(reader.read(join(dir, "gone.md"))).rejects.toThrow(/no file at .*gone\.md/);
    mkdirSync(join(dir, "folder"));
    await expect(reader.read(join(dir, "folder"))).rejects.toThrow(EvidenceMissing);
    await expect(reader.read(join(dir, "folder"))).rejects.toThrow(`a folder, not the file, is at ${join(dir, "folder")}`);
  });
});

describe("verifyChain with reports: the reports the log says were written are re-hashed", () => {
  async function logWithReports(dir: string) {
    const memory = new MemoryAuditLog();
    const report = (format: string, text: string) => ({ location: join(dir, `${ID}.${format}`), format, sha256: sha(text), sizeBytes: Buffer.byteLength(text), coversSeq: 1 });
    await memory.append(ID, { kind: "step.ran", actor: "function:ec2.describe-instance", at: at(1), body: { stepId: "detect/describe", record: { evidence: [{ kind: "ec2-instance-metadata", location: "i-0123", sha256: "a".repeat(64) }] } } });
    // A close repeated after a failure writes the md report again: the last entry for a location counts.
    await memory.append(ID, { kind: "report.written", actor: "system:irflow-local", at: at(2), body: report("md", "first\n") });
    await memory.append(ID, { kind: "report.written", actor: "system:irflow-local", at: at(3), body: report("md", "# the report\n") });
    await memory.append(ID, { kind: "report.written", actor: "system:irflow-local", at: at(4), body: report("html", "<html></html>") });
    return memory.entries(ID);
  }

  it("intact reports count; evidence keeps its kind; without the option reports are not looked at", async () => {
    const dir = tempDir("irflow-verify-reports-");
    writeFileSync(join(dir, `${ID}.md`), "# the report\n");
    writeFileSync(join(dir, `${ID}.html`), "<html></html>");
    const entries = await logWithReports(dir);
    const verdict = await verifyChain(ID, entries, { evidence: new FileEvidenceReader(), reports: new FileEvidenceReader() });
    expect(verdict.ok).toBe(true);
    expect(verdict.reports).toEqual([
      { seq: 3, format: "md", location: join(dir, `${ID}.md`), status: "intact" },
      { seq: 4, format: "html", location: join(dir, `${ID}.html`), status: "intact" },
    ]);
    expect(verdict.evidence).toEqual([{ seq: 1, kind: "ec2-instance-metadata", location: "i-0123", status: "unreachable" }]);
    expect((await verifyChain(ID, entries)).reports).toBeUndefined();
  });

  it("a changed report is a problem naming it; a missing one is reported, not tampering (the log is the record)", async () => {
    const dir = tempDir("irflow-verify-reports-");
    writeFileSync(join(dir, `${ID}.md`), "# the report, edited\n");
    const verdict = await verifyChain(ID, await logWithReports(dir), { reports: new FileEvidenceReader() });
    expect(verdict.reports!.map((r) => [r.format, r.status])).toEqual([["md", "changed"], ["html", "missing"]]);
    expect(verdict.ok).toBe(false);
    expect(verdict.problems).toEqual([{ seq: 3, kind: "evidence", message: expect.stringMatching(/^the md report .*\.md recorded in entry 3 has changed since it was written: sha256 [0-9a-f]{64} \(21 bytes\), recorded [0-9a-f]{64} \(13 bytes\)$/) }]);
  });
});
