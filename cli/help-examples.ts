/** The `Examples:` block a command adds under its --help (commander's `addHelpText("after", …)`). */
export function examples(...lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}`).join("\n")}`;
}
