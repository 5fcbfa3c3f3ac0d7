/**
 * Where each deployed function's Lambda entry point lives: the one place that maps a task name to
 * its handler file. Library tasks follow the convention `<service>.<verb-noun>` →
 * `functions/<service>/<verb-noun>.handler.ts`; irflow's own tasks and services are listed.
 */
const SYSTEM_TASK_HANDLERS: Readonly<Record<string, string>> = {
  "detect.open-incident": "functions/detect/open-incident.handler.ts",
  "approval.request": "functions/approval/request-approval.handler.ts",
  "audit.record-failure": "functions/audit/record-failure.handler.ts",
  "audit.close-incident": "functions/audit/close-incident.handler.ts",
};

/** Functions that are not workflow tasks: the approval API, manual incident starts, the reminder sweep, the archiver, the closer of stopped incidents. */
export const SERVICE_HANDLERS = {
  respond: "functions/approval/respond.handler.ts",
  startIncident: "functions/detect/start-incident.handler.ts",
  remind: "functions/approval/remind.handler.ts",
  archiver: "functions/audit/archive-execution.handler.ts",
  closeStopped: "functions/audit/close-stopped-incident.handler.ts",
} as const;
export type ServiceFunction = keyof typeof SERVICE_HANDLERS;

export function taskHandlerFile(task: string): string {
  const system = SYSTEM_TASK_HANDLERS[task];
  if (system) return system;
  const match = /^([a-z][a-z0-9]*)\.([a-z][a-z0-9-]*)$/.exec(task);
  if (!match) throw new Error(`task ${task}: not a task name (service.verb-noun)`);
  return `functions/${match[1]}/${match[2]}.handler.ts`;
}

/** SST's handler notation for an entry file: the path without `.ts`, then the export. */
export const sstHandler = (file: string, exportName = "handler"): string => `${file.replace(/\.ts$/, "")}.${exportName}`;
