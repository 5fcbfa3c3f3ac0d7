import { describe, expect, it } from "vitest";
import { matchesPattern } from "../../workflows/compiler/event-pattern-match.js";

describe("the EventBridge pattern matcher", () => {
  const event = { source: "aws.guardduty", detail: { type: "Backdoor:EC2/C&CActivity.B", severity: 8, tags: ["a", "b"], state: "ACTIVE" } };

  it("matches exact values, prefixes and numeric ranges, and descends into objects", () => {
    expect(matchesPattern({ source: ["aws.guardduty"], detail: { type: [{ prefix: "Backdoor:" }], severity: [{ numeric: [">=", 7, "<", 9] }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { severity: [{ numeric: [">=", 9] }] } }, event)).toBe(false);
    expect(matchesPattern({ source: ["aws.config"] }, event)).toBe(false);
  });

  it("matches an array field when any element matches", () => {
    expect(matchesPattern({ detail: { tags: ["b"] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { tags: ["c"] } }, event)).toBe(false);
  });

  it("knows anything-but, exists, suffix and wildcard", () => {
    expect(matchesPattern({ detail: { state: [{ "anything-but": ["ARCHIVED"] }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { state: [{ "anything-but": { prefix: "ACT" } }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { missing: [{ exists: false }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { missing: [{ exists: true }] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { type: [{ exists: true }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { type: [{ suffix: ".B" }] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { type: [{ wildcard: "Backdoor:*/C&C*" }] } }, event)).toBe(true);
  });

  it("knows $or and descends into arrays of objects (CloudTrail's items)", () => {
    const call = { detail: { errorCode: undefined, request: { items: [{ cidr: "10.0.0.0/8" }, { cidr: "0.0.0.0/0" }] } } };
    const open = { detail: { $or: [{ request: { items: { cidr: ["0.0.0.0/0"] } } }, { request: { items: { cidrV6: ["::/0"] } } }], errorCode: [{ exists: false }] } };
    expect(matchesPattern(open, call)).toBe(true);
    expect(matchesPattern(open, { detail: { request: { items: [{ cidr: "10.0.0.0/8" }] } } })).toBe(false);
    expect(matchesPattern(open, { detail: { errorCode: "Client.UnauthorizedOperation", request: { items: [{ cidr: "0.0.0.0/0" }] } } })).toBe(false);
  });

  it("a missing field or a non-object event does not match", () => {
    expect(matchesPattern({ detail: { nothing: ["x"] } }, event)).toBe(false);
    expect(matchesPattern({ source: ["x"] }, null)).toBe(false);
  });

  it("refuses operators it does not know, so a rule cannot pass by using one", () => {
    expect(() => matchesPattern({ source: [{ cidr: "10.0.0.0/8" }] }, event)).toThrow(/does not know/);
    expect(() => matchesPattern({ source: "aws.guardduty" }, event)).toThrow(/must be an array or an object/);
    // A prefix or suffix in a form it does not read throws too, rather than reading as no match.
    expect(() => matchesPattern({ source: [{ prefix: { wildcard: "aws*" } }] }, event)).toThrow(/prefix takes a string or \{"equals-ignore-case": string\}/);
  });

  it("knows a prefix or suffix in any case (equals-ignore-case inside), as EventBridge does", () => {
    const call = { source: "aws.iam", detail: { userIdentity: { arn: "arn:aws:iam::123456789012:user/Mallory" } } };
    expect(matchesPattern({ detail: { userIdentity: { arn: [{ prefix: { "equals-ignore-case": "ARN:AWS:IAM::" } }] } } }, call)).toBe(true);
    expect(matchesPattern({ detail: { userIdentity: { arn: [{ suffix: { "equals-ignore-case": "/MALLORY" } }] } } }, call)).toBe(true);
    expect(matchesPattern({ detail: { userIdentity: { arn: [{ suffix: { "equals-ignore-case": "/alice" } }] } } }, call)).toBe(false);
    expect(matchesPattern({ detail: { userIdentity: { arn: [{ prefix: "ARN:AWS:IAM::" }] } } }, call)).toBe(false);
    // And under anything-but; a form it does not read throws there too, never matching every event.
    expect(matchesPattern({ detail: { userIdentity: { arn: [{ "anything-but": { suffix: { "equals-ignore-case": "/MALLORY" } } }] } } }, call)).toBe(false);
    expect(matchesPattern({ detail: { userIdentity: { arn: [{ "anything-but": { prefix: { "equals-ignore-case": "arn:aws:sts::" } } }] } } }, call)).toBe(true);
    expect(() => matchesPattern({ detail: { userIdentity: { arn: [{ "anything-but": { prefix: 5 } }] } } }, call)).toThrow(/prefix takes a string/);
  });
});
