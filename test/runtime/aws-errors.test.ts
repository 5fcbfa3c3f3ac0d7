import { describe, expect, it } from "vitest";
import { aws, classifyAwsError, dryRun } from "../../functions/contract/aws-errors.js";
import { assertNotExempt, assertWithinBlastRadius, exemptReason } from "../../functions/contract/guards.js";
import { awsError } from "../support/task-harness.js";

describe("classifyAwsError", () => {
  it.each([
    ["RequestLimitExceeded", 503, "Transient"],
    ["ThrottlingException", 400, "Transient"],
    ["SlowDown", 503, "Transient"],
    ["InternalError", 500, "Transient"],
    ["SomethingNew", 502, "Transient"],
    ["TooManyRequestsException", 429, "Transient"],
    ["InvalidInstanceID.NotFound", 400, "NotFound"],
    ["NoSuchEntity", 404, "NotFound"],
    ["NoSuchBucket", 404, "NotFound"],
    ["UnauthorizedOperation", 403, "Forbidden"],
    ["AccessDenied", 403, "Forbidden"],
    ["InvalidParameterValue", 400, "InvalidInput"],
    ["IncorrectState", 400, "PreconditionFailed"],
  ])("maps %s (%i) to %s", (code, status, name) => {
    const error = classifyAwsError(awsError(code, status), "Call i-1");
    expect(error.name).toBe(name);
    expect(error.detail).toBe(code);
    expect(error.message).toContain("Call i-1");
  });

  it("treats network failures as transient", () => {
    expect(classifyAwsError(Object.assign(new Error("socket"), { name: "TimeoutError" }), "x").name).toBe("Transient");
    expect(classifyAwsError(Object.assign(new Error("reset"), { code: "ECONNRESET", name: undefined }), "x").name).toBe("Transient");
  });

  it("wraps calls and accepts a successful dry run", async () => {
    await expect(aws("Describe", () => Promise.reject(awsError("NoSuchEntity", 404)))).rejects.toMatchObject({ name: "NotFound" });
    await expect(aws("Describe", () => Promise.resolve(42))).resolves.toBe(42);
    await expect(dryRun("Modify", () => Promise.reject(awsError("DryRunOperation", 412)))).resolves.toBeUndefined();
    await expect(dryRun("Modify", () => Promise.reject(awsError("UnauthorizedOperation", 403)))).rejects.toMatchObject({ name: "Forbidden", message: expect.stringContaining("dry run") });
  });
});

describe("blast-radius guards", () => {
  it("recognises exempt and critical tags in either tag shape, case-insensitively", () => {
    expect(exemptReason({ "irflow:exempt": "true" })).toMatch(/exempt/);
    expect(exemptReason([{ Key: "Criticality", Value: "Critical" }])).toMatch(/critical/);
    expect(exemptReason([{ Key: "critical", Value: "yes" }])).toMatch(/critical/);
    expect(exemptReason({ "irflow:exempt": "false", Criticality: "low" })).toBeUndefined();
    expect(exemptReason(undefined)).toBeUndefined();
  });

  it("refuses exempt resources unless the step allows them", () => {
    expect(() => assertNotExempt("i-1", { "irflow:exempt": "true" }, { allowExempt: false })).toThrow(expect.objectContaining({ name: "PreconditionFailed" }));
    expect(() => assertNotExempt("i-1", { "irflow:exempt": "true" }, { allowExempt: true })).not.toThrow();
  });

  it("caps how many resources a step changes", () => {
    expect(() => assertWithinBlastRadius(3, "snapshot", { maxChanges: 3 })).not.toThrow();
    expect(() => assertWithinBlastRadius(4, "snapshot", { maxChanges: 3 })).toThrow(/4 changes exceed.*limit of 3/);
  });
});
