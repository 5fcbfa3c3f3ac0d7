import { GuardDutyClient, UpdateFindingsFeedbackCommand } from "@aws-sdk/client-guardduty";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/guardduty/send-feedback.contract.js";
import task from "../../../functions/guardduty/send-feedback.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";

const guardduty = mockClient(GuardDutyClient);
const DETECTOR = "12abc34d567e8fa901bc2d34e56789f0";
const FINDING = "6ec5b8a4e2b1c0f3a9d7e6c5b4a39281";

describe("guardduty.send-feedback", () => {
  beforeEach(() => guardduty.reset());
  afterEach(() => expectCallsDeclared(contract, { GuardDutyClient: guardduty }));

  it("sends the feedback and comments for the finding", async () => {
    guardduty.on(UpdateFindingsFeedbackCommand).resolves({});
    const h = harness(task);
    const output = await h.run({ detectorId: DETECTOR, findingId: FINDING, feedback: "USEFUL", comments: "confirmed C2 beaconing" });
    expect(output).toEqual({ detectorId: DETECTOR, findingId: FINDING, feedback: "USEFUL" });
    expect(guardduty.commandCalls(UpdateFindingsFeedbackCommand)[0]!.args[0].input).toEqual({
      DetectorId: DETECTOR,
      FindingIds: [FINDING],
      Feedback: "USEFUL",
      Comments: "confirmed C2 beaconing",
    });
    expect(h.journal.all()[0]!.changes).toEqual([]);
  });

  it("leaves Comments out when there are none", async () => {
    guardduty.on(UpdateFindingsFeedbackCommand).resolves({});
    await harness(task).run({ detectorId: DETECTOR, findingId: FINDING, feedback: "NOT_USEFUL" });
    expect(guardduty.commandCalls(UpdateFindingsFeedbackCommand)[0]!.args[0].input).toEqual({ DetectorId: DETECTOR, FindingIds: [FINDING], Feedback: "NOT_USEFUL" });
  });

  it("runs once per incident and step, and again for another step", async () => {
    guardduty.on(UpdateFindingsFeedbackCommand).resolves({});
    const h = harness(task);
    const input = { detectorId: DETECTOR, findingId: FINDING, feedback: "USEFUL" };
    const first = await h.run(input);
    expect(await h.run(input)).toEqual(first);
    expect(guardduty.commandCalls(UpdateFindingsFeedbackCommand)).toHaveLength(1);
    await h.run(input, { stepId: "post-incident/feedback-again" });
    expect(guardduty.commandCalls(UpdateFindingsFeedbackCommand)).toHaveLength(2);
  });

  it("maps throttling to Transient", async () => {
    guardduty.on(UpdateFindingsFeedbackCommand).rejects(awsError("TooManyRequestsException", 429));
    await expect(harness(task).run({ detectorId: DETECTOR, findingId: FINDING, feedback: "USEFUL" })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports an unknown detector or finding as NotFound naming both", async () => {
    guardduty.on(UpdateFindingsFeedbackCommand).rejects(awsError("BadRequestException", 400, "The request is rejected because the input detectorId is not owned by the current account."));
    const failure = harness(task).run({ detectorId: DETECTOR, findingId: FINDING, feedback: "USEFUL" });
    await expect(failure).rejects.toMatchObject({ name: "NotFound", message: expect.stringMatching(new RegExp(`${DETECTOR}.*${FINDING}`)) });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ detectorId: DETECTOR, findingId: FINDING, feedback: "MAYBE" })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ detectorId: DETECTOR, findingId: FINDING, feedback: "USEFUL", comments: "x".repeat(1001) })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(guardduty.calls()).toHaveLength(0);
  });
});
