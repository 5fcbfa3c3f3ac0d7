import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { build } from "esbuild";
import { PROJECT_ROOT } from "../cli/project-paths.js";
import { figure, type Figure } from "./measure.js";

const COMMAND = "npm run bench -- bundle";
const LIMIT_BYTES = 1024 * 1024;

/** Every Lambda entry point of the task library. */
export function handlerEntryPoints(): string[] {
  const root = join(PROJECT_ROOT, "functions");
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".handler.ts"))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** The AWS SDK clients that the nodejs22.x runtime provides (@aws-sdk/client-*). */
export const RUNTIME_PROVIDED = ["@aws-sdk/client-*"];

async function bundledBytes(entry: string, external: string[]): Promise<number> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    minify: true,
    write: false,
    external,
    logLevel: "silent",
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
  return result.outputFiles.reduce((sum, file) => sum + file.contents.byteLength, 0);
}

/**
 * Bundles each entry point as the deployment does (esbuild, ESM, minified, for nodejs22.x, with
 * the SDK clients the runtime ships left out) and reports its size; the self-contained size
 * (every client bundled) is noted beside it, since the EC2 client alone is about 1 MiB.
 */
export async function benchBundles(): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const entry of handlerEntryPoints()) {
    const deployed = await bundledBytes(entry, RUNTIME_PROVIDED);
    const selfContained = await bundledBytes(entry, []);
    const name = relative(join(PROJECT_ROOT, "functions"), entry).replace(/\.handler\.ts$/, "");
    figures.push(figure(`bundle ${name}`, deployed / 1024, "KiB", COMMAND, { value: LIMIT_BYTES / 1024, comparison: "<=" }, `self-contained ${Math.round(selfContained / 1024)} KiB`));
  }
  return figures;
}
