import { terminalField } from "./terminal-text.js";

/**
 * A filesystem error on a path the user gave (`--dir README.md`, `--output /no/such/dir/x.md`) or
 * one under it: a sentence naming the path and what is wrong with it, as a usage error says it,
 * instead of an internal error's stack trace. Undefined for anything else.
 */
const REASONS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or folder",
  ENOTDIR: "a part of the path is a file, not a folder",
  EISDIR: "it is a folder",
  EEXIST: "a file is in the way",
  EACCES: "permission denied",
  EPERM: "not permitted",
  EROFS: "the file system is read-only",
  ENAMETOOLONG: "the name is too long",
  ELOOP: "too many symbolic links",
};

const VERBS: Readonly<Record<string, string>> = {
  open: "open",
  stat: "read",
  lstat: "read",
  access: "read",
  scandir: "list",
  mkdir: "create the folder",
  rename: "move",
  unlink: "remove",
  write: "write",
  copyfile: "copy",
};

export function pathErrorMessage(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, syscall, path } = error as NodeJS.ErrnoException;
  if (code === undefined || typeof path !== "string") return undefined;
  const reason = REASONS[code];
  if (reason === undefined) return undefined;
  // The path as the user typed it, made safe to print.
  return `cannot ${(syscall !== undefined ? VERBS[syscall] : undefined) ?? syscall ?? "use"} ${terminalField(path)}: ${reason} (${code})`;
}
