import { PHASE_TITLES, type Phase } from "../runbook/schema.js";

/** The states the compiler adds to phase machines itself; no step may take these names. */
export const SYSTEM_STATES = {
  openIncident: "Open incident",
  joinedOpenIncident: "Joined an open incident?",
  closeIncident: "Close incident",
  phaseFailed: "Phase failed",
  /** Detect's end after a failed step: it succeeds, carrying the failure to post-incident. */
  detectStopped: "Detect stopped after a failure",
  phaseComplete: (phase: Phase): string => `${PHASE_TITLES[phase]} complete`,
} as const;

const PREFIXES = {
  check: "Check: ",
  plan: "Plan: ",
  approve: "Approve: ",
  escalate: "Escalate: ",
  recordFailure: "Record failure: ",
  each: "Each: ",
  planEach: "Plan each: ",
  count: "Count: ",
  withinLimit: "Within limit: ",
  tooMany: "Too many: ",
} as const;

/** State names of one step: the Choice that guards it, its plan, approvals, action and failure. */
export function stateNames(title: string) {
  return {
    check: `${PREFIXES.check}${title}`,
    plan: `${PREFIXES.plan}${title}`,
    approve: `${PREFIXES.approve}${title}`,
    escalate: `${PREFIXES.escalate}${title}`,
    act: title,
    recordFailure: `${PREFIXES.recordFailure}${title}`,
    each: `${PREFIXES.each}${title}`,
    planEach: `${PREFIXES.planEach}${title}`,
    count: `${PREFIXES.count}${title}`,
    withinLimit: `${PREFIXES.withinLimit}${title}`,
    tooMany: `${PREFIXES.tooMany}${title}`,
  };
}

/** Why a step title would collide with a state the compiler generates, or undefined. */
export function reservedTitleProblem(title: string): string | undefined {
  const fixed = [SYSTEM_STATES.openIncident, SYSTEM_STATES.joinedOpenIncident, SYSTEM_STATES.closeIncident, SYSTEM_STATES.phaseFailed, SYSTEM_STATES.detectStopped, ...Object.values(PHASE_TITLES).map((t) => `${t} complete`)];
  const lower = title.toLowerCase();
  if (fixed.some((name) => name.toLowerCase() === lower)) return `"${title}" is the name of a state irflow adds itself`;
  const prefix = Object.values(PREFIXES).find((p) => lower.startsWith(p.toLowerCase()));
  return prefix ? `a step title cannot start with "${prefix.trim()}", which irflow uses for the states it derives from a step` : undefined;
}
