/**
 * irflow on a pseudo-terminal: util-linux's `script` gives it one, so readline is in raw mode as on
 * a responder's screen and Ctrl-C arrives as a keystroke, not as a signal sent by the test.
 */
import { execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { stripVTControlCharacters } from "node:util";

const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const APPROVE_PROMPT = "approve? [y/n/l]";
export const REASON_PROMPT = "reason:";

/** Whether `script` is here (the terminal tests are skipped where it is not). */
export const hasScript = (() => {
  try {
    execFileSync("script", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** What the terminal showed, without carriage returns and cursor moves. */
export const plain = (text: string): string => stripVTControlCharacters(text.replace(/\r/g, ""));

/**
 * Runs `irflow <args>` on a pseudo-terminal; `answer` is asked what to type each time the screen
 * ends with a prompt it has not answered yet (the prompt's text and how many of it came before).
 */
export function onTerminal(args: readonly string[], answer: (prompt: string, count: number) => string) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", TERM: "dumb" };
  delete env.FORCE_COLOR;
  const command = [process.execPath, "bin/irflow.mjs", ...args].join(" ");
  // -e: script exits with the run's own code; -f: output as it comes.
  const child = spawn("script", ["-qfec", command, "/dev/null"], { cwd: PROJECT_ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
  let screen = "";
  const answered = new Map<string, number>();
  child.stdout.on("data", (chunk: Buffer) => {
    screen += chunk.toString();
    const shown = plain(screen).trimEnd();
    for (const prompt of [APPROVE_PROMPT, REASON_PROMPT]) {
      const count = shown.split(prompt).length - 1;
      if (shown.endsWith(prompt) && count > (answered.get(prompt) ?? 0)) {
        answered.set(prompt, count);
        child.stdin.write(answer(prompt, count));
      }
    }
  });
  const exited = new Promise<{ code: number | null; screen: string }>((resolve) => child.on("exit", (code) => resolve({ code, screen: plain(screen) })));
  /** Resolves with the first match of `pattern` on the screen, once it shows. */
  const until = async (pattern: RegExp): Promise<RegExpExecArray> => {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
      const match = pattern.exec(plain(screen));
      if (match) return match;
    }
    throw new Error(`the screen never showed ${String(pattern)}:\n${plain(screen)}`);
  };
  return { exited, until };
}
