/** What `irflow abort` concludes once nothing it named runs, and where the commands find who you are. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { givenBack, lookAt, stopVerdict } from "../../cli/commands/abort.js";
import { UsageError } from "../../cli/usage-error.js";
import { identityFor, stateFolder } from "../../cli/commands/store-options.js";
import { tempDir } from "../support/temp-dir.js";

const A = "arn:aws:states:local:000000000000:execution:irflow-x-incident:inc-1";
const B = "arn:aws:states:local:000000000000:execution:irflow-x-contain:inc-1-contain";
const taken = { takenAt: "2026-01-01T00:00:00.000Z" };

describe("stopVerdict", () => {
  it("is stopped only when a run took the request and every named execution ended ABORTED", () => {
    expect(stopVerdict([{ executionArn: A, status: "ABORTED" }, { executionArn: B, status: "ABORTED" }], taken)).toEqual({ stopped: true });
  });

  it("says executions that ended on their own did so, with their statuses, even when a run took the request", () => {
    const own = stopVerdict([{ executionArn: B, status: "SUCCEEDED" }], taken);
    expect(own).toEqual({ stopped: false, problem: `nothing was stopped: the executions ended on their own (${B} SUCCEEDED)` });
    const some = stopVerdict([{ executionArn: A, status: "ABORTED" }, { executionArn: B, status: "FAILED" }], taken);
    expect(some).toEqual({ stopped: false, problem: `1 execution ended on their own before the run stopped them (${B} FAILED)` });
  });

  it("is not stopped when no run took the request, whatever the statuses", () => {
    expect(stopVerdict([{ executionArn: A, status: "ABORTED" }], {})).toMatchObject({ stopped: false, problem: expect.stringContaining("no run took the request") });
    expect(stopVerdict([{ executionArn: A, status: "SUCCEEDED" }], undefined)).toMatchObject({ stopped: false, problem: expect.stringContaining("ended on their own") });
  });
});

describe("givenBack", () => {
  const failed = { failedAt: "2026-01-01T00:00:01.000Z", failedBy: "pid 7 on host", failedReason: "the engine is gone" };

  it("says why the process that took the request gave it back", () => {
    expect(givenBack(failed)).toBe("the running process could not carry out the request: the engine is gone (pid 7 on host gave it back at 2026-01-01T00:00:01.000Z)");
  });

  it("says nothing for a request never taken, taken now (again, after a failure), or not found", () => {
    expect(givenBack({})).toBeUndefined();
    expect(givenBack(taken)).toBeUndefined();
    expect(givenBack({ ...failed, ...taken })).toBeUndefined();
    expect(givenBack(undefined)).toBeUndefined();
  });
});

describe("lookAt (the order of irflow abort's checks)", () => {
  const gaveBack = { failedAt: "2026-01-01T00:00:01.000Z", failedBy: "pid 7 on host", failedReason: "could not append abort.applied" };

  it("once nothing runs, the stop verdict decides: a process that gave the request back after its stops still stopped them", () => {
    expect(lookAt([{ executionArn: A, status: "ABORTED" }, { executionArn: B, status: "ABORTED" }], gaveBack)).toEqual({ ended: true, verdict: { stopped: true } });
    expect(stopVerdict([{ executionArn: A, status: "ABORTED" }], gaveBack)).toEqual({ stopped: true });
    // Given back, and the executions ended on their own: that is what it says, not the give-back.
    expect(lookAt([{ executionArn: B, status: "SUCCEEDED" }], gaveBack)).toEqual({ ended: true, verdict: { stopped: false, problem: `nothing was stopped: the executions ended on their own (${B} SUCCEEDED)` } });
  });

  it("while some still run, a given-back request ends the wait with its reason; otherwise it waits", () => {
    const states = [{ executionArn: A, status: "RUNNING" as const }, { executionArn: B, status: "ABORTED" as const }];
    expect(lookAt(states, gaveBack)).toEqual({ ended: false, givenBack: givenBack(gaveBack) });
    expect(lookAt(states, taken)).toEqual({ ended: false });
    expect(lookAt(states, undefined)).toEqual({ ended: false });
  });
});

describe("identityFor", () => {
  const dir = tempDir("irflow-identity-");
  writeFileSync(join(dir, "identities.yaml"), "identities:\n  alice: [IncidentLead]\n");

  it("reads the identities file in --dir, or beside --db (which wins)", async () => {
    expect(stateFolder({ db: join(dir, "irflow.db"), dir: "/elsewhere" })).toBe(dir);
    expect((await identityFor({ dir, as: "alice" })).principals).toContainEqual(expect.stringContaining("role/IncidentLead"));
    expect((await identityFor({ db: join(dir, "irflow.db"), as: "alice" })).principals).toContainEqual(expect.stringContaining("role/IncidentLead"));
    // Elsewhere the name is unlisted: it holds the roles it claims.
    expect((await identityFor({ dir: join(dir, "none"), as: "alice", role: ["Other"] })).principals).toContainEqual(expect.stringContaining("role/Other"));
  });

  it("a role the file does not give the name is a usage error naming it", async () => {
    await expect(identityFor({ dir, as: "alice", role: ["Other"] })).rejects.toBeInstanceOf(UsageError);
  });
});
