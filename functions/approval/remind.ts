import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { AuditAppender } from "../audit/audit-port.js";
import { aws } from "../contract/aws-errors.js";
import type { Clock } from "../contract/task.js";
import { expiredEntry, remindedEntry } from "./approval-audit.js";
import { approvalNotice } from "./approval-message.js";
import { reminderDue } from "./approval.js";
import type { DynamoDbApprovals } from "./dynamodb-approvals.js";

export interface RemindPorts {
  readonly approvals: DynamoDbApprovals;
  readonly sns: SNSClient;
  readonly topicArn: string;
  readonly clock: Clock;
  readonly audit: AuditAppender;
}

export interface SweepResult {
  readonly reminded: readonly string[];
  readonly expired: readonly string[];
}

const ACTOR = "system:approval-remind";

/**
 * The scheduled sweep (every 5 minutes) over pending approvals: one reminder once 80% of the wait
 * has passed, and past the deadline the approval is marked expired (Step Functions has already
 * taken the state's timeout path; this records it and makes late answers get `expired`). Each
 * change is conditional, so overlapping sweeps remind and expire once.
 */
export function createRemind(ports: RemindPorts) {
  return async (): Promise<SweepResult> => {
    const now = ports.clock.now();
    const reminded: string[] = [];
    const expired: string[] = [];
    for (const approval of await ports.approvals.pending()) {
      if (now.getTime() >= Date.parse(approval.deadline)) {
        if (await ports.approvals.markExpired(approval.id, now)) {
          expired.push(approval.id);
          await ports.audit.append(approval.incidentId, expiredEntry(approval, now, ACTOR));
        }
      } else if (approval.remindedAt === undefined && now >= reminderDue(approval) && (await ports.approvals.markReminded(approval.id, now))) {
        const notice = approvalNotice(approval, "reminder");
        await aws(`Publish ${ports.topicArn}`, () => ports.sns.send(new PublishCommand({ TopicArn: ports.topicArn, Subject: notice.subject, Message: notice.message })));
        reminded.push(approval.id);
        await ports.audit.append(approval.incidentId, remindedEntry(approval, now, ACTOR));
      }
    }
    return { reminded, expired };
  };
}
