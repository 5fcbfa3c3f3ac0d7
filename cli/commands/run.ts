import { join } from "node:path";
import type { Command } from "commander";
import { userInfo } from "node:os";
import { storeOptions } from "./store-options.js";
import { IDENTITIES_FILE } from "../../workflows/local/incident/local-identities.js";
import { PROJECT_ROOT } from "../project-paths.js";
import { SIGNAL_EXIT_CODES } from "./interrupt.js";
import type { RunOptions } from "./run-locally.js";

const DEMO_RUNBOOK = "ssh-rdp-brute-force";
const DEMO_SCENARIO = join(PROJECT_ROOT, "test", "scenarios", `${DEMO_RUNBOOK}.yaml`);

const collectRoles = (value: string, previous: string[] = []) => [...previous, value];
const ROLE_HELP = `a role you answer approvals as (name or ARN; repeatable); ${IDENTITIES_FILE} pins names to roles`;
const NO_PROMPT_HELP = "do not ask at this terminal: approvals wait for irflow approve / reject from another one";
const RUN_EXAMPLES = `
Examples:
  irflow run ssh-rdp-brute-force                       the runbook's own scenario (test/scenarios/ssh-rdp-brute-force.yaml)
  irflow run ssh-rdp-brute-force --event test/fixtures/events/guardduty-ssh-brute-force.json
                                                       that event, on the runbook's scenario account
  irflow run public-s3-bucket --scenario my-account.yaml --event my-event.json --no-prompt

At each approval irflow asks approve? [y/n/l]: y approves, n rejects (the phase fails; post-incident
still runs), l leaves it for irflow approve / reject in another terminal; Enter asks again. With
--no-prompt it prints the approval's id, digest, deadline and the commands to answer it with.
`;
const INTERRUPT_HELP = `
Ctrl-C (or SIGTERM, or SIGHUP when the terminal closes) stops the incident: its executions are
aborted and recorded, the incident is closed as aborted with its report, then irflow exits with
${SIGNAL_EXIT_CODES.SIGINT} (${SIGNAL_EXIT_CODES.SIGTERM}, ${SIGNAL_EXIT_CODES.SIGHUP}); a second one quits at once. irflow abort <incident> --reason <why> does the same
from another terminal: the run then prints "aborted" and exits 1.`;

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("run a runbook's whole incident locally, on its generated state machines, against a simulated account")
    .argument("<runbook>", "runbook id (irflow runbooks lists them)")
    .option("--scenario <file>", "scenario file: the simulated account and the triggering event (default test/scenarios/<runbook>.yaml)")
    .option("--event <file>", "an EventBridge event (JSON or YAML) to play instead of the scenario's, on the scenario's account (test/fixtures/events/)")
    .option("--any-runbook", "play a scenario whose runbook: field names another runbook (refused otherwise; its event must still be one of the runbook's triggers)")
    .option("--approve", "approve every step automatically (unattended runs)")
    .option("--no-prompt", NO_PROMPT_HELP)
    .option("--as <name>", "who starts the run and answers approvals at the prompt", userInfo().username)
    .option("--role <role>", ROLE_HELP, collectRoles)
    .addOption(storeOptions.dir())
    .addOption(storeOptions.db())
    .addHelpText("after", `${RUN_EXAMPLES}${INTERRUPT_HELP}`)
    .action(async (runbook: string, options: RunOptions) => {
      process.exitCode = await (await runner()).runLocally(runbook, options);
    });
  program
    .command("demo")
    .description(`run the bundled demo: an SSH brute force on a web server, from finding to report (${DEMO_RUNBOOK})`)
    .option("--approve", "approve every step automatically (unattended runs)")
    .option("--no-prompt", NO_PROMPT_HELP)
    .option("--as <name>", "who answers approvals at the prompt", userInfo().username)
    .option("--role <role>", `${ROLE_HELP} (default IncidentResponder, the demo runbook's approvers)`, collectRoles)
    .addOption(storeOptions.dir())
    .addOption(storeOptions.db())
    .addHelpText("after", INTERRUPT_HELP)
    .action(async (options: RunOptions) => {
      process.exitCode = await (await runner()).runLocally(DEMO_RUNBOOK, { ...options, scenario: DEMO_SCENARIO, role: options.role ?? ["IncidentResponder"] });
    });
}

/** The run itself (the local runner, the simulated account, the AWS SDK) loads only when a run starts, not for --help. */
const runner = () => import("./run-locally.js");
