import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { triggerLine } from "../../cli/commands/trigger-line.js";
import { triggerRule } from "../../workflows/compiler/event-patterns.js";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const said = (line: { lead?: string; text: string }): string => [line.lead, line.text].filter(Boolean).join(" ");

describe("a trigger as irflow runbooks lists it", () => {
  it("reads as one phrase for every kind of trigger, with no word said twice", () => {
    const lines = [
      triggerRule({ guardduty: ["Backdoor:EC2/*"], minSeverity: 7 }),
      triggerRule({ cloudtrail: { source: "s3.amazonaws.com", events: ["PutBucketAcl"] } }),
      triggerRule({ config: { rules: ["s3-bucket-public-read-prohibited"], compliance: "NON_COMPLIANT" } }),
      triggerRule({ flowlogs: { action: "REJECT", knownBad: true } }),
      triggerRule({ schedule: "rate(1 day)" }),
      triggerRule({ manual: true }),
    ].map((rule) => said(triggerLine(rule)));
    expect(lines).toEqual([
      "on GuardDuty findings Backdoor:EC2/* with severity >= 7",
      "on CloudTrail s3.amazonaws.com PutBucketAcl",
      "on AWS Config s3-bucket-public-read-prohibited becoming NON_COMPLIANT",
      "on VPC flow-log REJECT records from known-bad addresses",
      "on the schedule rate(1 day)",
      "started by a responder",
    ]);
    for (const line of lines) expect(line).not.toMatch(/\b(\w+) \1\b/);
  });

  it("irflow runbooks prints the scheduled and manual triggers of the bundled runbooks that way", async () => {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ["bin/irflow.mjs", "runbooks"], { cwd: PROJECT_ROOT, env: { ...process.env, NO_COLOR: "1" }, timeout: 60_000 }, (error, out) => (error ? reject(new Error(`irflow runbooks failed: ${error.message}`)) : resolve(out)));
    });
    const hygiene = stdout.split("\n\n").find((block) => block.startsWith("iam-hygiene "));
    expect(hygiene).toBeDefined();
    expect(hygiene!.split("\n").slice(1, 3)).toEqual(["  on the schedule rate(1 day)", "  started by a responder"]);
    expect(stdout).not.toMatch(/\bon on\b|\bon started\b/);
  }, 60_000);
});
