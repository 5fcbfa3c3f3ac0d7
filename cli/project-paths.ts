import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** The irflow checkout this CLI belongs to; defaults resolve from here, not from the shell's cwd. */
export const PROJECT_ROOT = fileURLToPath(new URL("..", import.meta.url));
export const DEFAULT_RUNBOOKS_DIR = join(PROJECT_ROOT, "runbooks");
export const DEFAULT_GENERATED_DIR = join(PROJECT_ROOT, "workflows", "generated");
/** Like eslint's cache: definitions asl-validator already accepted (safe to delete). */
export const VALIDATION_CACHE = join(PROJECT_ROOT, "node_modules", ".cache", "irflow", "asl-validator.json");
