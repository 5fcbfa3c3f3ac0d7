import { GuardDutyClient, UpdateFindingsFeedbackCommand } from "@aws-sdk/client-guardduty";
import { implementTask } from "../contract/task.js";
import contract from "./send-feedback.contract.js";
import { guardDuty } from "./findings.js";

export default implementTask(contract, {
  // Feedback is a label GuardDuty overwrites, so sending it again is harmless; the journal still
  // keeps it to one call per step.
  async run({ detectorId, findingId, feedback, comments }, ctx) {
    await guardDuty(`UpdateFindingsFeedback ${findingId}`, { detectorId, findingId }, () =>
      ctx.aws(GuardDutyClient).send(
        new UpdateFindingsFeedbackCommand({ DetectorId: detectorId, FindingIds: [findingId], Feedback: feedback, ...(comments ? { Comments: comments } : {}) }),
      ),
    );
    return { output: { detectorId, findingId, feedback }, changes: [], summary: `told GuardDuty that ${findingId} was ${feedback === "USEFUL" ? "useful" : "not useful"}` };
  },
});
