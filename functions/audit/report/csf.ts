import type { CsfTag } from "../../contract/task-contract.js";
import { findTask } from "../../registry.js";

/** NIST CSF 2.0 names of the subcategories irflow's tasks are tagged with. */
export const CSF_NAMES: Readonly<Record<CsfTag, string>> = {
  "DE.AE": "Detect: Adverse Event Analysis",
  "RS.MA": "Respond: Incident Management",
  "RS.AN": "Respond: Incident Analysis",
  "RS.CO": "Respond: Incident Response Reporting and Communication",
  "RS.MI-01": "Respond: Incidents are contained",
  "RS.MI-02": "Respond: Incidents are eradicated",
  "RC.RP": "Recover: Incident Recovery Plan Execution",
  "ID.IM": "Identify: Improvement",
};

/** The CSF tags of a task, from its contract; an unknown task has none (and the report says so). */
export function csfOf(task: string | undefined): readonly CsfTag[] {
  return (task && findTask(task)?.csf) || [];
}
