import { ArchiveFindingsCommand, GuardDutyClient } from "@aws-sdk/client-guardduty";
import type { Change } from "../contract/changes.js";
import { implementTask } from "../contract/task.js";
import contract from "./archive-finding.contract.js";
import { describeFinding, getFinding, guardDuty } from "./findings.js";

const archiveChange = (findingId: string, archived: boolean): Change[] =>
  archived ? [] : [{ resource: findingId, action: "ArchiveFindings", before: { archived: false }, after: { archived: true } }];

export default implementTask(contract, {
  async plan({ detectorId, findingId }, ctx) {
    const finding = await getFinding(detectorId, findingId, ctx);
    const archived = finding.Service?.Archived === true;
    return { changes: archiveChange(findingId, archived), summary: archived ? `${findingId} ${describeFinding(finding)} is already archived` : `archive ${findingId} ${describeFinding(finding)}` };
  },

  async run({ detectorId, findingId }, ctx) {
    const finding = await getFinding(detectorId, findingId, ctx);
    const wasArchived = finding.Service?.Archived === true;
    if (!wasArchived) {
      await guardDuty(`ArchiveFindings ${findingId}`, { detectorId, findingId }, () =>
        ctx.aws(GuardDutyClient).send(new ArchiveFindingsCommand({ DetectorId: detectorId, FindingIds: [findingId] })),
      );
    }
    return {
      output: { detectorId, findingId, wasArchived },
      changes: archiveChange(findingId, wasArchived),
      ...(wasArchived ? {} : { undo: { task: "guardduty.unarchive-finding", input: { detectorId, findingId } } }),
      summary: wasArchived ? `${findingId} ${describeFinding(finding)} was already archived; nothing changed` : `archived ${findingId} ${describeFinding(finding)}`,
    };
  },
});
