import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { pathErrorMessage } from "../../cli/path-error.js";

const errnoError = (fields: Partial<NodeJS.ErrnoException>): NodeJS.ErrnoException => Object.assign(new Error("raw"), fields);

describe("pathErrorMessage", () => {
  it("names the path, what was tried and what is wrong, from a real fs error", async () => {
    const error = await readFile("/no/such/irflow/file.yaml").catch((e: unknown) => e);
    expect(pathErrorMessage(error)).toBe("cannot open /no/such/irflow/file.yaml: no such file or folder (ENOENT)");
    expect(pathErrorMessage(errnoError({ code: "EEXIST", syscall: "mkdir", path: "README.md" }))).toBe("cannot create the folder README.md: a file is in the way (EEXIST)");
    expect(pathErrorMessage(errnoError({ code: "EACCES", syscall: "futimes", path: "x" }))).toBe("cannot futimes x: permission denied (EACCES)");
  });

  it("leaves alone what is not a path's fault: no path, an unlisted code, not an Error", () => {
    expect(pathErrorMessage(errnoError({ code: "ENOENT", syscall: "open" }))).toBeUndefined();
    expect(pathErrorMessage(errnoError({ code: "ENOSPC", syscall: "write", path: "/tmp/full" }))).toBeUndefined();
    expect(pathErrorMessage(new TypeError("boom"))).toBeUndefined();
    expect(pathErrorMessage({ code: "ENOENT", path: "x" })).toBeUndefined();
  });
});
