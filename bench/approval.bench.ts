import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StateMachine } from "../workflows/compiler/asl.js";
import { InMemoryHistory } from "../workflows/local/history.js";
import { parseApprovalRequest } from "../workflows/local/incident/approval-desk.js";
import { SqliteApprovalDesk } from "../workflows/local/incident/sqlite-approval-desk.js";
import { LocalEngine } from "../workflows/local/local-engine.js";
import { EmbeddedDatabase } from "../workflows/local/store/embedded-database.js";
import { figure, percentile, type Figure } from "./measure.js";

const COMMAND = "npm run bench -- approval";
const ROUND_TRIPS = 200;
const DIGEST = "ab".repeat(32);

/** One `Approve:` state as the compiler emits it, with a fixed request. */
const MACHINE = {
  Comment: "approval round trip",
  QueryLanguage: "JSONPath",
  StartAt: "Approve",
  States: {
    Approve: {
      Type: "Task",
      Comment: "wait for a human decision",
      Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
      Parameters: {
        FunctionName: "${Task:approval.request}",
        Payload: {
          "taskToken.$": "$$.Task.Token",
          "executionId.$": "$$.Execution.Id",
          incidentId: "inc-20261124-bench0000001",
          runbookId: "bench",
          stepId: "contain/isolate-the-instance",
          stepTitle: "Isolate the instance",
          task: "ec2.isolate-instance",
          risk: "reversible",
          plans: [{ digest: DIGEST, summary: "swap to quarantine", changes: 1 }],
          approvers: ["arn:aws:iam::*:role/IncidentResponder"],
          requiredApprovals: 1,
          timeoutSeconds: 600,
          onTimeout: "abort",
          escalation: false,
        },
      },
      ResultPath: "$.approval",
      TimeoutSeconds: 600,
      End: true,
    },
  },
} as unknown as StateMachine;

/**
 * The local approval round trip as a responder lives it: the run waits in one process (engine and
 * its desk on one connection); `irflow approve` writes the answer through a second connection;
 * measured from the answer's write until the execution has resumed and finished.
 */
export async function benchApproval(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), "irflow-bench-approval-"));
  let runSide: EmbeddedDatabase | undefined;
  let responderSide: EmbeddedDatabase | undefined;
  try {
    runSide = EmbeddedDatabase.open({ dir });
    responderSide = EmbeddedDatabase.open({ dir });
    // The engine's task reaches the desk lazily; the desk answers through the engine.
    const engine: LocalEngine = new LocalEngine({
      definitions: new Map([["bench/approval", MACHINE]]),
      tasks: (name) => (name === "approval.request" ? (payload) => desk.request(parseApprovalRequest(payload), "manual", { requester: "event:aws.guardduty" }) : undefined),
      history: new InMemoryHistory(),
    });
    const desk = new SqliteApprovalDesk(runSide, {
      answers: {
        sendTaskSuccess: (token, output) => engine.sendTaskSuccess(token, output),
        sendTaskFailure: (token, error, cause) => engine.sendTaskFailure(token, error, cause),
        isWaiting: (token) => engine.pendingTokens().some((pending) => pending.token === token),
      },
    });
    const responder = new SqliteApprovalDesk(responderSide, { pollMs: 0 });
    const alice = { actor: "alice", principals: ["local:alice", "arn:aws:iam::000000000000:role/IncidentResponder"] };
    const durations: number[] = [];
    for (let round = 0; round < ROUND_TRIPS + 5; round += 1) {
      const handle = engine.start("bench/approval", {}, { name: `round-${round}` });
      let pending;
      while (!(pending = (await responder.list())[0])) await new Promise((resolve) => setTimeout(resolve, 1));
      const start = performance.now();
      await responder.approve(pending.id, { as: alice, reason: "bench", digest: DIGEST.slice(0, 12) });
      const outcome = await handle.result;
      if (outcome.status !== "SUCCEEDED") throw new Error(`round ${round} ended ${outcome.status}`);
      if (round >= 5) durations.push(performance.now() - start);
    }
    desk.close();
    durations.sort((a, b) => a - b);
    const note = `${ROUND_TRIPS} round trips; the waiting run polls the database every 50 ms`;
    return [
      figure("approval round trip p50 (answer in a second connection → run resumed)", percentile(durations, 50), "ms", COMMAND, undefined, note),
      figure("approval round trip p95", percentile(durations, 95), "ms", COMMAND, { value: 250, comparison: "<=" }),
    ];
  } finally {
    runSide?.close();
    responderSide?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
