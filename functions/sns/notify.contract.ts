import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { SeverityLabel } from "../incident/document.js";

export default defineTaskContract({
  name: "sns.notify",
  summary: "Notify responders, the resource owner or the security lead about the incident",
  risk: "read",
  csf: ["RS.CO"],
  input: z.object({
    // SNS wants a subject under 100 characters, ASCII, starting with a letter, digit or
    // punctuation, without line breaks; anything else fails the whole publish.
    subject: z.string().regex(/^[!-~][ -~]{0,98}$/, "must be printable ASCII, under 100 characters, not starting with a space"),
    message: z.string().min(1).max(8000),
    severity: SeverityLabel.optional(),
    audience: z.enum(["responders", "owner", "security-lead"]).default("responders"),
  }),
  output: z.object({
    messageId: z.string().min(1).max(100),
  }),
  // One topic per audience, so each audience's subscriptions are managed apart; the incident id
  // and severity travel as message attributes, so a subscription can filter (e.g. page on critical).
  iam: [
    {
      actions: ["sns:Publish"],
      resources: ["{topic:responders}", "{topic:owner}", "{topic:security-lead}"],
    },
  ],
});
