import { GenerateCredentialReportCommand, GetCredentialReportCommand, IAMClient } from "@aws-sdk/client-iam";
import { aws } from "../contract/aws-errors.js";
import { isTaskError, preconditionFailed, transient } from "../contract/errors.js";
import type { TaskContext } from "../contract/task.js";

/** Polls at 1, 2, 4, 8 then every 10 s: IAM usually answers within seconds, large accounts take a minute or two. */
const POLL_DELAYS_MS = [1000, 2000, 4000, 8000, ...Array.from({ length: 15 }, () => 10_000)];

/**
 * RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks. The credential
 * report quotes nothing today, but user names may hold commas and a parser that splits on them
 * would shift every column after.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (quoted) throw preconditionFailed("the credential report ends inside a quoted field", "credential-report");
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.length > 1 || r[0] !== "");
}

export interface CredentialReport {
  readonly generatedAt: Date;
  /** One record per row, keyed by the header's column names. */
  readonly rows: readonly Readonly<Record<string, string>>[];
}

/** Asks IAM for a fresh report (at most 4 hours old) and waits, within a bound, until it is ready. */
async function awaitReport(ctx: TaskContext): Promise<void> {
  for (const delay of [...POLL_DELAYS_MS, undefined]) {
    const { State } = await aws("GenerateCredentialReport", () => ctx.aws(IAMClient).send(new GenerateCredentialReportCommand({})));
    if (State === "COMPLETE") return;
    if (delay === undefined) break;
    await ctx.sleep(delay);
  }
  const waited = POLL_DELAYS_MS.reduce((a, b) => a + b, 0) / 1000;
  throw transient(`the IAM credential report was not ready after ${waited} s`, "CredentialReportNotReady");
}

export async function credentialReport(ctx: TaskContext): Promise<CredentialReport> {
  await awaitReport(ctx);
  let result;
  try {
    result = await aws("GetCredentialReport", () => ctx.aws(IAMClient).send(new GetCredentialReportCommand({})));
  } catch (error) {
    // Another caller can start a regeneration between our COMPLETE and our read.
    if (isTaskError(error) && error.detail === "CredentialReportNotReadyException") throw transient(error.message, error.detail, error);
    throw error;
  }
  if (!result.Content) throw preconditionFailed("GetCredentialReport returned no content", "credential-report");
  const [header, ...body] = parseCsv(new TextDecoder("utf-8").decode(result.Content));
  if (!header?.includes("user") || !header.includes("mfa_active")) throw preconditionFailed("the credential report has no user and mfa_active columns", "credential-report");
  const rows = body.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""])));
  return { generatedAt: result.GeneratedTime ?? ctx.clock.now(), rows };
}

/** Report dates are ISO 8601 with an offset; "N/A", "no_information" and "not_supported" mean none. */
export function reportDate(value: string | undefined): Date | undefined {
  if (!value || !/^\d{4}-\d{2}-\d{2}T/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}
