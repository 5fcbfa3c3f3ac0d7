#!/usr/bin/env node
// Runs the TypeScript CLI without a build step: tsx registers a loader for this process only.
import { register } from "tsx/esm/api";

register();
await import("../cli/main.ts");
