import { describe, expect, it } from "vitest";
import { colourWanted } from "../../cli/output.js";

describe("when the CLI colours its output", () => {
  it("colours a terminal, not a pipe, even when CI is set (picocolors alone coloured CI logs)", () => {
    expect(colourWanted({}, [], true)).toBe(true);
    expect(colourWanted({}, [], false)).toBe(false);
    expect(colourWanted({ CI: "true" }, [], false)).toBe(false);
  });

  it("NO_COLOR and --no-color win; FORCE_COLOR and --color colour a pipe; a dumb terminal gets none", () => {
    expect(colourWanted({ NO_COLOR: "1", FORCE_COLOR: "1" }, [], true)).toBe(false);
    expect(colourWanted({}, ["--no-color"], true)).toBe(false);
    expect(colourWanted({ FORCE_COLOR: "1" }, [], false)).toBe(true);
    expect(colourWanted({}, ["--color"], false)).toBe(true);
    expect(colourWanted({ TERM: "dumb" }, [], true)).toBe(false);
  });
});
