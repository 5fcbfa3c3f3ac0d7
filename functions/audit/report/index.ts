import type { IncidentRecord } from "../incident-record.js";
import { renderHtml } from "./render-html.js";
import { renderMarkdown } from "./render-markdown.js";
import { buildReport, type ReportModel, type ReportOptions } from "./report-model.js";

export { buildReport, type ReportModel, type ReportOptions, type ReportStatus } from "./report-model.js";
export { escapeHtml } from "./render-html.js";

export const REPORT_FORMATS = ["md", "html", "json"] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export const CONTENT_TYPES: Readonly<Record<ReportFormat, string>> = {
  md: "text/markdown; charset=utf-8",
  html: "text/html; charset=utf-8",
  json: "application/json",
};

/** The one report renderer: the local runner, the CLI and the AWS close-incident handler all call this. */
export function renderReport(record: IncidentRecord, format: ReportFormat, writtenAt: Date, options: ReportOptions = {}): string {
  return renderModel(buildReport(record, writtenAt, options), format);
}

/** One built model in a format: a caller writing several formats of one report builds it once. */
export function renderModel(model: ReportModel, format: ReportFormat): string {
  switch (format) {
    case "md":
      return renderMarkdown(model);
    case "html":
      return renderHtml(model);
    case "json":
      return `${JSON.stringify(model, null, 2)}\n`;
  }
}
