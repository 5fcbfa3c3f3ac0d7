import { describe, expect, it } from "vitest";
import type { TimelineItem } from "../../../functions/audit/incident-record.js";
import { renderReport } from "../../../functions/audit/report/index.js";
import { timelineInTimeOrder } from "../../../functions/audit/report/timeline-in-time-order.js";
import { runnerFor, scenario, NOW } from "../../local/incident/support.js";

const item = (seq: number, at: string, what = `entry ${seq}`): TimelineItem => ({ seq, at, kind: "x", actor: "system:test", what });

describe("the report's timeline", () => {
  it("is in time order, equal times in log order, whatever order the log wrote them in", () => {
    const items = [item(1, "2026-11-25T10:20:30.223Z"), item(2, "2026-11-25T10:20:30.209Z"), item(3, "2026-11-25T10:20:30.223Z"), item(4, "2026-11-25T10:20:30.209Z"), item(5, "2026-11-25T10:20:31.000Z")];
    expect(timelineInTimeOrder(items).map((i) => i.seq)).toEqual([2, 4, 1, 3, 5]);
    expect(items.map((i) => i.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it("compares times, not their text (an offset or no milliseconds), and keeps an unreadable time with the entry before it", () => {
    const items = [item(1, "2026-11-25T12:00:00+02:00"), item(2, "2026-11-25T09:59:59.500Z"), item(3, "not a time"), item(4, "2026-11-25T10:00:00.001Z")];
    expect(timelineInTimeOrder(items).map((i) => i.seq)).toEqual([2, 3, 1, 4]);
    expect(timelineInTimeOrder([item(1, "?"), item(2, "2026-01-01T00:00:00Z")]).map((i) => i.seq)).toEqual([1, 2]);
    expect(timelineInTimeOrder([])).toEqual([]);
  });

  it("of a brute-force incident reads in time order in markdown and HTML: the detect phase starts before the incident it opens is opened", async () => {
    const s = await scenario("ssh-rdp-brute-force");
    // The engine stamps executions with the wall clock; the tasks get the same one here, as in irflow run.
    const runner = await runnerFor(s, { clock: { now: () => new Date() } });
    const { incidentId } = await runner.runIncident({ runbookId: "ssh-rdp-brute-force", event: s.event, approvals: "auto" });
    const record = runner.records.get(incidentId!)!;
    // The log writes the phase's start after the incident is opened, with the earlier time.
    const opened = record.timeline.findIndex((t) => t.what.startsWith("incident opened"));
    const started = record.timeline.findIndex((t) => t.what === "phase detect started");
    expect(started).toBeGreaterThan(opened);
    expect(Date.parse(record.timeline[started]!.at)).toBeLessThanOrEqual(Date.parse(record.timeline[opened]!.at));

    const markdown = renderReport(record, "md", NOW);
    const mdRows = markdown.slice(markdown.indexOf("## Timeline")).split("\n").filter((line) => /^\| \d+ \| /.test(line));
    const html = renderReport(record, "html", NOW);
    const section = html.slice(html.indexOf('<section id="timeline">'), html.indexOf("</section>", html.indexOf('<section id="timeline">')));
    const htmlRows = [...section.matchAll(/<tr><td class="nowrap">(\d+)<\/td><td>(.*?)<\/td>/g)];
    for (const rows of [mdRows.map((row) => row.split(" | ")[1]!), htmlRows.map((row) => row[2]!)]) {
      expect(rows).toHaveLength(record.timeline.length);
      expect(rows.map((at) => Date.parse(at.replace(/<[^>]*>/g, "")))).toEqual([...rows.map((at) => Date.parse(at.replace(/<[^>]*>/g, "")))].sort((a, b) => a - b));
    }
    expect(mdRows.findIndex((row) => row.includes("phase detect started"))).toBeLessThan(mdRows.findIndex((row) => row.includes("incident opened")));
    // Same log, same report.
    expect(renderReport(record, "md", NOW)).toBe(markdown);
  }, 60_000);
});
