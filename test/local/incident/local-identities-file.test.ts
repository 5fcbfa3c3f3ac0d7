import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { IdentityError, loadIdentities, parseIdentities } from "../../../workflows/local/incident/local-identities.js";
import { tempDir } from "../../support/temp-dir.js";

const dir = tempDir("irflow-identities-");

function refused(text: string): string {
  try {
    parseIdentities(text, ".irflow/identities.yaml");
  } catch (error) {
    if (error instanceof IdentityError) return error.message;
    throw error;
  }
  throw new Error("accepted");
}

describe("the identities file's errors name file:line:col, as scenario errors do", () => {
  it("invalid YAML is an IdentityError with its place, not a YAMLParseError", () => {
    expect(refused("identities: [\n")).toMatch(/^\.irflow\/identities\.yaml:2:1: invalid YAML: /);
  });

  it("a wrong type and a bad role are placed at the value", () => {
    expect(refused("identities:\n  bob: IncidentLead\n")).toBe(".irflow/identities.yaml:2:8: identities.bob: Invalid input: expected array, received string");
    expect(refused("identities:\n  bob: [IncidentLead, 'no such role!']\n")).toBe(".irflow/identities.yaml:2:23: identities.bob.1: must be a role name (IncidentLead) or a role ARN");
    expect(refused("accountId: '1234'\npeople: {}\n")).toMatch(/^\.irflow\/identities\.yaml:1:12: accountId: must be a 12-digit account id$/);
  });

  it("an unknown field is placed at its key, wherever its value is", () => {
    expect(refused("people: {}\n")).toBe('.irflow/identities.yaml:1:1: people: unknown field "people"');
    expect(refused("identitis:\n  bob: [IncidentLead]\n")).toBe('.irflow/identities.yaml:1:1: identitis: unknown field "identitis"');
    expect(refused("accountId: '123456789012'\n  # the people\nidentitis:\n  bob: [IncidentLead]\n")).toBe('.irflow/identities.yaml:3:1: identitis: unknown field "identitis"');
  });

  it("a folder where the file should be is an IdentityError; a missing file is an empty one", async () => {
    await expect(loadIdentities(dir)).rejects.toThrow(IdentityError);
    await expect(loadIdentities(join(dir, "absent.yaml"))).resolves.toEqual({ identities: {} });
    writeFileSync(join(dir, "ok.yaml"), "identities:\n  bob: [IncidentLead]\n");
    await expect(loadIdentities(join(dir, "ok.yaml"))).resolves.toEqual({ identities: { bob: ["IncidentLead"] } });
  });
});
