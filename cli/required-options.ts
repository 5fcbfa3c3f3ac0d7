import type { Command, Option } from "commander";

/**
 * Checks every command's required options after its unknown ones. commander checks required
 * options first, so a misspelt `--reson x` read "required option '--reason <text>' not specified"
 * instead of "unknown option '--reson' (Did you mean --reason?)". The options stay declared (and in
 * `--help`); a preAction hook, which runs once unknown options were refused, checks them with
 * commander's own message and code, so a missing one is still a usage error (exit 2).
 */
export function checkRequiredOptionsLast(program: Command): void {
  const required = new Set<Option>();
  const collect = (command: Command): void => {
    for (const option of command.options) {
      if (!option.mandatory) continue;
      required.add(option);
      option.makeOptionMandatory(false);
    }
    command.commands.forEach(collect);
  };
  collect(program);
  program.hook("preAction", (_program, actionCommand) => {
    for (let command: Command | null = actionCommand; command; command = command.parent) {
      for (const option of command.options) {
        if (required.has(option) && command.getOptionValue(option.attributeName()) === undefined) {
          command.error(`error: required option '${option.flags}' not specified`, { code: "commander.missingMandatoryOptionValue" });
        }
      }
    }
  });
}
