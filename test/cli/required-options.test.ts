import { Command, CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { checkRequiredOptionsLast } from "../../cli/required-options.js";
import { irflow } from "../support/irflow-cli.js";
import { tempDir } from "../support/temp-dir.js";

/** A program like irflow's: errors thrown, not exited; what it would print kept. */
function program(): { program: Command; errors: string[]; ran: string[] } {
  const errors: string[] = [];
  const ran: string[] = [];
  const root = new Command().exitOverride().configureOutput({ writeErr: (text) => errors.push(text), writeOut: () => undefined });
  root
    .command("approve")
    .argument("<id>")
    .requiredOption("--reason <text>")
    .requiredOption("--digest <hex>")
    .option("--role <role>")
    .action((id: string) => {
      ran.push(id);
    });
  checkRequiredOptionsLast(root);
  return { program: root, errors, ran };
}

const parse = async (args: string[]) => {
  const built = program();
  const error = await built.program.parseAsync(["node", "irflow", ...args]).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  return { ...built, error: error instanceof CommanderError ? error : undefined };
};

describe("required options are checked after unknown ones", () => {
  it("a misspelt required option is named as unknown, with commander's suggestion", async () => {
    const { error, ran } = await parse(["approve", "apr-1", "--digest", "0123456789ab", "--reson", "x"]);
    expect(error?.code).toBe("commander.unknownOption");
    expect(error?.message).toBe("error: unknown option '--reson'\n(Did you mean --reason?)");
    expect(ran).toEqual([]);
  });

  it("a missing one is still refused, in commander's words, before the action runs", async () => {
    const { error, ran, errors } = await parse(["approve", "apr-1", "--reason", "ok"]);
    expect(error?.code).toBe("commander.missingMandatoryOptionValue");
    expect(errors.join("")).toContain("error: required option '--digest <hex>' not specified");
    expect(ran).toEqual([]);
    expect((await parse(["approve", "apr-1", "--reason", "ok", "--digest", "0123456789ab"])).ran).toEqual(["apr-1"]);
  });

  it("--help still works without them", async () => {
    const { error } = await parse(["approve", "--help"]);
    expect(error?.code).toBe("commander.helpDisplayed");
  });
});

describe("irflow's commands with a required --reason", { timeout: 60_000 }, () => {
  it("name a misspelt --reason as unknown (exit 2) and still refuse a missing one (exit 2)", async () => {
    const dir = tempDir("irflow-required-");
    const commands = [
      ["approve", "apr-1", "--digest", "0123456789ab", "--as", "bob", "--role", "IncidentResponder"],
      ["reject", "apr-1", "--as", "bob", "--role", "IncidentResponder"],
      ["abort", "inc-20261125-0a1b2c3d4e5f"],
      ["incidents", "close", "inc-20261125-0a1b2c3d4e5f"],
    ];
    const runs = await Promise.all(commands.flatMap((args) => [irflow(...args, "--reson", "x", "--dir", dir), irflow(...args, "--dir", dir)]));
    for (const [index, args] of commands.entries()) {
      const [misspelt, missing] = [runs[index * 2]!, runs[index * 2 + 1]!];
      expect({ args, code: misspelt.code, stderr: misspelt.stderr }).toMatchObject({ code: 2, stderr: expect.stringContaining("error: unknown option '--reson'\n(Did you mean --reason?)") });
      expect({ args, code: missing.code, stderr: missing.stderr }).toMatchObject({ code: 2, stderr: expect.stringContaining("error: required option '--reason <text>' not specified") });
    }
  });
});
