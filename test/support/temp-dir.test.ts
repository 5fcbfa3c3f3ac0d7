import { existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "./temp-dir.js";

// Each test checks what the one before it left behind: vitest runs a file's tests in order.
const fileLevel = tempDir("irflow-temp-dir-file");
let fromBeforeAll = "";
const fromBeforeEach: string[] = [];
let fromPassing = "";
let fromThrowing = "";
let keptForFile = "";

beforeAll(() => {
  fromBeforeAll = tempDir("irflow-temp-dir-before-all-");
});

// Registered after the helper's own sweep, so it runs before it: shared directories outlive every test.
afterAll(() => {
  expect(existsSync(fileLevel)).toBe(true);
  expect(existsSync(fromBeforeAll)).toBe(true);
  expect(existsSync(keptForFile)).toBe(true);
});

describe("tempDir", () => {
  beforeEach(() => {
    fromBeforeEach.push(tempDir("irflow-temp-dir-before-each-"));
  });

  it("makes a fresh, empty directory under the OS temp directory, named by its prefix", () => {
    fromPassing = tempDir("irflow-temp-dir-test");
    expect(dirname(fromPassing)).toBe(tmpdir());
    expect(fromPassing).toMatch(/irflow-temp-dir-test-[^/]+$/);
    expect(tempDir("irflow-temp-dir-test-")).not.toBe(fromPassing);
    writeFileSync(join(fromPassing, "nested.txt"), "contents");
  });

  it("removes a test's directory, contents and all, once the test passes", () => {
    expect(existsSync(fromPassing)).toBe(false);
  });

  it.fails("removes a test's directory when the test throws", () => {
    fromThrowing = tempDir("irflow-temp-dir-throws-");
    throw new Error("the test fails after making its directory");
  });

  it("…and the directory the failing test made is gone", () => {
    expect(fromThrowing).not.toBe("");
    expect(existsSync(fromThrowing)).toBe(false);
  });

  it("removes a beforeEach directory with the test it was made for", () => {
    const [previous, current] = fromBeforeEach.slice(-2);
    expect(existsSync(previous!)).toBe(false);
    expect(existsSync(current!)).toBe(true);
  });

  it("keeps a directory a test asks to keep for the file", () => {
    keptForFile = tempDir("irflow-temp-dir-kept-", "file");
  });

  it("…past the end of the test that made it", () => {
    expect(existsSync(keptForFile)).toBe(true);
  });

  it("keeps file-level and beforeAll directories for every test in the file", () => {
    expect(existsSync(fileLevel)).toBe(true);
    expect(existsSync(fromBeforeAll)).toBe(true);
  });
});
