import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseScenario, scenarioFromData, ScenarioError } from "../../../workflows/local/simulated-account/index.js";

const FILE = "test/scenarios/ssh-rdp-brute-force.yaml";

describe("scenarioFromData", () => {
  it("builds the same account as the scenario's YAML text", () => {
    const text = readFileSync(FILE, "utf8");
    const fromText = parseScenario(text, FILE);
    const fromData = scenarioFromData(parse(text), FILE);
    expect(fromData.account.snapshot()).toEqual(fromText.account.snapshot());
    expect(fromData.event).toEqual(fromText.event);
  });

  it("refuses bad content naming the file and the field", () => {
    const data = parse(readFileSync(FILE, "utf8")) as { account: { id: string } };
    data.account.id = "12";
    expect(() => scenarioFromData(data, "fleet.yaml")).toThrow(ScenarioError);
    expect(() => scenarioFromData(data, "fleet.yaml")).toThrow(/fleet\.yaml.*account/s);
    expect(() => scenarioFromData({ ...data, surprise: true }, "fleet.yaml")).toThrow(/unknown field "surprise"/);
  });
});
