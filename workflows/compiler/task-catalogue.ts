import { findTask, SYSTEM_TASKS, taskNames } from "../../functions/registry.js";
import type { TaskCatalogue } from "./analyse-runbook.js";

const system = new Set<string>(Object.values(SYSTEM_TASKS));

/** The registry as the compiler sees it. */
export const registryCatalogue: TaskCatalogue = {
  find: findTask,
  names: taskNames,
  isSystem: (name) => system.has(name),
};
