import { readFileSync } from "node:fs";
import * as z from "zod";

const PackageJson = z.object({ version: z.string().min(1, "version: empty") });

/** The version in irflow's own package.json (`irflow --version`), the one npm publishes. */
export function packageVersion(file: URL = new URL("../package.json", import.meta.url)): string {
  const parsed = PackageJson.safeParse(JSON.parse(readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`${file.pathname}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  return parsed.data.version;
}
