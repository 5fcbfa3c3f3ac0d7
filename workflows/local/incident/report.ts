/** Reports are rendered by one shared module for the local runner, the CLI and AWS. */
export { renderReport, renderModel, buildReport, REPORT_FORMATS, type ReportFormat, type ReportModel, type ReportStatus } from "../../../functions/audit/report/index.js";
