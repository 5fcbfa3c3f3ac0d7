import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { COMMAND_MODULES, commandsFor } from "../../cli/command-modules.js";

const registered = (registers: readonly ((program: Command) => void)[]) => {
  const program = new Command();
  for (const register of registers) register(program);
  return program.commands.map((command) => command.name());
};

describe("the command modules loaded for a command line", () => {
  it("lists, for every module, exactly the top-level commands it registers", async () => {
    for (const module of COMMAND_MODULES) {
      expect(registered([await module.load()]).sort()).toEqual([...module.names].sort());
    }
  });

  it("names every command once", () => {
    const names = COMMAND_MODULES.flatMap((module) => module.names);
    expect(new Set(names).size).toBe(names.length);
  });

  it("loads only the module of the command named first", async () => {
    expect(registered(await commandsFor(["approve", "a-1", "--reason", "ok"]))).toEqual(["approvals", "approve", "reject"]);
    expect(registered(await commandsFor(["executions"]))).toEqual(["executions"]);
  });

  it("loads every command for --help, for no command and for a name it does not know (commander then says so)", async () => {
    const all = COMMAND_MODULES.flatMap((module) => module.names);
    for (const args of [[], ["--help"], ["help", "run"], ["frobnicate"]]) {
      expect(registered(await commandsFor(args)).sort()).toEqual([...all].sort());
    }
  });
});
