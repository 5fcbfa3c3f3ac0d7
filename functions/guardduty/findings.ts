import { type Finding, GetFindingsCommand, GuardDutyClient } from "@aws-sdk/client-guardduty";
import { aws } from "../contract/aws-errors.js";
import { isTaskError, notFound } from "../contract/errors.js";
import type { TaskContext } from "../contract/task.js";

/**
 * GuardDuty answers an unknown detector (or one of another account or region) with
 * BadRequestException, not a NotFound. The ids were validated before the call, so here a bad
 * request means the detector or finding is not there: NotFound, naming both.
 */
export async function guardDuty<T>(what: string, ids: { detectorId: string; findingId: string }, call: () => Promise<T>): Promise<T> {
  try {
    return await aws(what, call);
  } catch (error) {
    if (isTaskError(error) && error.detail === "BadRequestException") {
      throw notFound(`${what}: detector ${ids.detectorId} or finding ${ids.findingId} does not exist in this account and region (${error.message})`, "BadRequestException", error);
    }
    throw error;
  }
}

export async function getFinding(detectorId: string, findingId: string, ctx: TaskContext): Promise<Finding> {
  const result = await guardDuty(`GetFindings ${findingId}`, { detectorId, findingId }, () =>
    ctx.aws(GuardDutyClient).send(new GetFindingsCommand({ DetectorId: detectorId, FindingIds: [findingId] })),
  );
  const finding = result.Findings?.find((f) => f.Id === findingId);
  if (!finding) throw notFound(`GuardDuty finding ${findingId} does not exist in detector ${detectorId}`, findingId);
  return finding;
}

export function describeFinding(finding: Finding): string {
  return `${finding.Type ?? "finding"} (severity ${finding.Severity ?? "?"})`;
}
