import { describe, expect, it } from "vitest";
import { parseEvent, ScenarioError } from "../../../workflows/local/simulated-account/index.js";

const EVENT = {
  version: "0",
  id: "0f3c2a51-8d6e-4b7a-9c10-2e4f5a6b7c8d",
  "detail-type": "GuardDuty Finding",
  source: "aws.guardduty",
  account: "123456789012",
  time: "2026-11-24T10:31:44Z",
  region: "us-east-1",
  resources: [],
  detail: { type: "UnauthorizedAccess:EC2/SSHBruteForce" },
};

function refusal(text: string): ScenarioError {
  try {
    parseEvent(text, "event.json");
  } catch (error) {
    if (error instanceof ScenarioError) return error;
    throw error;
  }
  throw new Error("parseEvent accepted it");
}

describe("parseEvent (irflow run --event)", () => {
  it("reads an EventBridge event as JSON or as YAML", () => {
    expect(parseEvent(JSON.stringify(EVENT, null, 2), "event.json")).toEqual(EVENT);
    expect(parseEvent(Object.entries(EVENT).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join("\n"), "event.yaml")).toEqual(EVENT);
  });

  it("names the file, line, column and field of each problem", () => {
    const error = refusal(JSON.stringify({ ...EVENT, id: "nope", source: "AWS GuardDuty" }, null, 2));
    expect(error.message).toMatch(/^event\.json: invalid event\n/);
    expect(error.message).toContain("event.json:3:9: id: must be an event id (a UUID)");
    expect(error.message).toContain("event.json:5:13: source: must be an event source such as aws.guardduty");
  });

  it("says a field is missing rather than 'received undefined'", () => {
    const { detail: _detail, ...rest } = EVENT;
    expect(refusal(JSON.stringify(rest)).message).toContain("detail: missing");
  });

  it("a syntax error, an array or nothing at all is refused with a place", () => {
    expect(refusal('{ "version": "0",\n  "id": "x"\n').issues[0]).toMatchObject({ line: 3, column: 1, message: "invalid JSON: expected '}' to close an object, found the end of the file" });
    expect(refusal("[1, 2]").message).toContain("event.json:1:1");
    expect(refusal("").issues.length).toBeGreaterThan(0);
  });

  it("a .json file, or one that starts like JSON, is held to JSON and its errors say JSON, with the place", () => {
    const truncated = refusal('{ "version": "0",\n  "id": "x"\n');
    expect(truncated.message).toBe("event.json: invalid event\n  event.json:3:1: (root): invalid JSON: expected '}' to close an object, found the end of the file");
    // YAML would take the trailing comma; JSON does not.
    expect(refusal(`${JSON.stringify(EVENT, null, 2).slice(0, -2)},\n}`).message).toMatch(/event\.json:13:1: \(root\): invalid JSON: expected a property name in double quotes, found "}" \(a trailing comma\?\)/);
    expect(refusal('{\n  "id": "x",\n  "id": "y"\n}').issues[0]).toMatchObject({ line: 3, message: expect.stringMatching(/^invalid JSON: Map keys must be unique/) });
    const unnamed = (text: string, file: string) => {
      try {
        parseEvent(text, file);
      } catch (error) {
        if (error instanceof ScenarioError) return error.issues[0]!.message;
      }
      return "accepted";
    };
    expect(unnamed('{ "version": "0",', "-")).toMatch(/^invalid JSON: /);
    expect(unnamed("version: [0", "event.yaml")).toMatch(/^invalid YAML: /);
  });
});
