import { GuardDutyClient, UnarchiveFindingsCommand } from "@aws-sdk/client-guardduty";
import type { Change } from "../contract/changes.js";
import { implementTask } from "../contract/task.js";
import contract from "./unarchive-finding.contract.js";
import { describeFinding, getFinding, guardDuty } from "./findings.js";

const unarchiveChange = (findingId: string, archived: boolean): Change[] =>
  archived ? [{ resource: findingId, action: "UnarchiveFindings", before: { archived: true }, after: { archived: false } }] : [];

export default implementTask(contract, {
  async plan({ detectorId, findingId }, ctx) {
    const finding = await getFinding(detectorId, findingId, ctx);
    const archived = finding.Service?.Archived === true;
    return { changes: unarchiveChange(findingId, archived), summary: archived ? `unarchive ${findingId} ${describeFinding(finding)}` : `${findingId} ${describeFinding(finding)} is already active` };
  },

  async run({ detectorId, findingId }, ctx) {
    const finding = await getFinding(detectorId, findingId, ctx);
    const wasArchived = finding.Service?.Archived === true;
    if (wasArchived) {
      await guardDuty(`UnarchiveFindings ${findingId}`, { detectorId, findingId }, () =>
        ctx.aws(GuardDutyClient).send(new UnarchiveFindingsCommand({ DetectorId: detectorId, FindingIds: [findingId] })),
      );
    }
    return {
      output: { detectorId, findingId, wasArchived },
      changes: unarchiveChange(findingId, wasArchived),
      ...(wasArchived ? { undo: { task: "guardduty.archive-finding", input: { detectorId, findingId } } } : {}),
      summary: wasArchived ? `returned ${findingId} ${describeFinding(finding)} to the active findings` : `${findingId} ${describeFinding(finding)} was already active; nothing changed`,
    };
  },
});
