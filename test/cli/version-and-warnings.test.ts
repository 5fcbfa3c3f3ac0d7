/**
 * `irflow --version`, and the AWS SDK's Node-version notice kept out of what users and the suite
 * read: the CLI silences it itself, the suite through vitest.config.ts's environment.
 */
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { packageVersion } from "../../cli/package-version.js";
import { tempDir } from "../support/temp-dir.js";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SWITCH = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";
const TIMEOUT = 60_000;

function node(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: PROJECT_ROOT, env: { ...env, NO_COLOR: "1" }, timeout: TIMEOUT }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** The environment without the switch: what a user's shell has. */
function withoutSwitch(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env[SWITCH];
  return env;
}

const PACKAGE_VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

describe("irflow --version", () => {
  it("prints package.json's version and exits 0, as --version and as -V", async () => {
    for (const flag of ["--version", "-V"]) {
      const run = await node(["bin/irflow.mjs", flag], process.env);
      expect(run).toEqual({ code: 0, stdout: `${PACKAGE_VERSION}\n`, stderr: "" });
    }
  }, TIMEOUT);

  it("reads the version from a package.json, and names the field when it has none", () => {
    expect(packageVersion()).toBe(PACKAGE_VERSION);
    const dir = tempDir("irflow-version-");
    const file = pathToFileURL(join(dir, "package.json"));
    writeFileSync(file, JSON.stringify({ name: "x" }));
    expect(() => packageVersion(file)).toThrow(/package\.json: version: /);
  });
});

describe("the AWS SDK's Node-version notice", () => {
  it.skipIf(Number(process.versions.node.split(".")[0]) >= 22)("is not printed by a CLI run that builds SDK clients, even when the user's environment does not silence it", async () => {
    const run = await node(["bin/irflow.mjs", "run", "ssh-rdp-brute-force", "--approve", "--dir", tempDir("irflow-notice-", "file")], withoutSwitch());
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain("NodeVersionSupportWarning");
  }, TIMEOUT);

  it.skipIf(Number(process.versions.node.split(".")[0]) >= 22)("is silenced for the suite and the processes it starts (vitest.config.ts), and would otherwise be printed", async () => {
    const build = ["--input-type=module", "-e", `const { SFNClient } = await import("@aws-sdk/client-sfn"); new SFNClient({ region: "us-east-1" });`];
    expect(process.env[SWITCH]).toBe("true");
    expect((await node(build, process.env)).stderr).not.toContain("NodeVersionSupportWarning");
    // The control: the same client without the switch does print it, so the check above means something.
    expect((await node(build, withoutSwitch())).stderr).toContain("NodeVersionSupportWarning");
  }, TIMEOUT);
});
