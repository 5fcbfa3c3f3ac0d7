import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEntry, KIND } from "../../../functions/audit/audit-kinds.js";
import { renderReport } from "../../../functions/audit/report/index.js";
import { runnerFor, scenario, NOW } from "../incident/support.js";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("../../../test-artifacts/", import.meta.url));
const HOSTILE = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">"'\`&`;
const present = existsSync(CHROMIUM);
// Locally a missing browser skips with a reason; in CI (.ci/run installs it) its absence fails.
if (!present && !process.env.CI) console.warn(`report-html: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium); CI installs it and runs this`);

describe.skipIf(!present && !process.env.CI)("the HTML report in a real headless Chromium", () => {
  let browser: Browser;
  let html = "";

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
    const s = await scenario("ec2-instance-compromise");
    const runner = await runnerFor(s);
    const result = await runner.runIncident({ runbookId: "ec2-instance-compromise", event: s.event, approvals: "auto" });
    // An entry carrying markup from an event (a finding title, an error's cause) must render as text.
    await runner.records.append(result.incidentId!, auditEntry(KIND.stepFailed, "function:audit.record-failure", NOW.toISOString(), { stepId: "recover/hostile-input", error: "InvalidInput", cause: HOSTILE }));
    html = renderReport(runner.records.get(result.incidentId!)!, "html", NOW);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it("renders every section with its rows, visibly, without running anything from the data; saves a screenshot", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.setContent(html, { waitUntil: "load" });

    await expect(page.title()).resolves.toMatch(/^Post-incident report: inc-/);
    for (const heading of ["Summary", "Metrics", "Timeline", "Steps and NIST CSF 2.0", "Changes", "Evidence and custody", "Approvals", "What failed", "Lessons learned"]) {
      expect(await page.getByRole("heading", { level: 2, name: heading, exact: true }).isVisible(), heading).toBe(true);
    }
    const rows = async (id: string) => page.locator(`#${id} tbody tr`).count();
    expect(await rows("step-table")).toBeGreaterThan(5);
    expect(await rows("change-table")).toBeGreaterThan(3);
    expect(await rows("evidence-table")).toBeGreaterThanOrEqual(3);
    expect(await rows("approval-table")).toBeGreaterThanOrEqual(2);
    expect(await page.locator("#step-table tbody tr", { hasText: "contain/isolate-the-instance" }).locator(".tag", { hasText: "RS.MI-01" }).isVisible()).toBe(true);
    expect(await page.locator("#approval-table tbody tr").first().isVisible()).toBe(true);
    expect(await page.locator(".card", { hasText: "Time to contain" }).isVisible()).toBe(true);

    // The hostile cause is shown as text; nothing in it ran or became an element.
    expect(await page.locator("#failure-table", { hasText: "<script>window.__pwned = 1</script>" }).isVisible()).toBe(true);
    expect(await page.evaluate("typeof globalThis.__pwned")).toBe("undefined");
    expect(await page.locator("script").count()).toBe(0);
    expect(await page.locator("main img").count()).toBe(0);
    expect(errors).toEqual([]);

    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "report.png"), fullPage: true });
    await writeFile(join(ARTIFACTS, "report.html"), html);
    await page.emulateMedia({ media: "print" });
    expect(await page.getByRole("heading", { level: 2, name: "Approvals" }).isVisible()).toBe(true);
    await page.close();
  }, 60_000);
});
