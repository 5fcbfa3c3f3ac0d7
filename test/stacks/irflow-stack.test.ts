import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { IrflowConfig } from "../../functions/contract/config.js";
import { APPROVAL_ROUTES as RESPOND_ROUTES } from "../../functions/approval/respond.js";
import { REMIND_IAM, RESPOND_IAM } from "../../functions/approval/service-iam.js";
import { START_INCIDENT_ROUTE } from "../../functions/detect/start-incident.js";
import { NO_DIRECT_ANSWERS } from "../../stacks/access-policies.js";
import { APPROVAL_ROUTES, INCIDENT_ROUTES, routeKey } from "../../stacks/approval-routes.js";
import { RULE_RETRY_POLICY } from "../../stacks/event-rules.js";
import { STEP_JOURNAL_GRANT, type PolicyDocument } from "../../stacks/iam.js";
import { loadDefinition } from "../../stacks/manifest.js";
import { deployedName, machineDeployedName, taskSlug } from "../../stacks/names.js";
import { buildStack, ROOT, type BuiltStack } from "./build-stack.js";
import { matchesPattern } from "../../workflows/compiler/event-pattern-match.js";
import { ofType, valueOf, type MockedResource } from "./pulumi-harness.js";

let stack: BuiltStack;
beforeAll(async () => {
  stack = await buildStack();
}, 120_000);

const STAGE = "test";
const policyOf = (resource: MockedResource): PolicyDocument => JSON.parse(resource.inputs.policy as string) as PolicyDocument;
const rolePolicies = (): MockedResource[] => ofType(stack.created, "aws:iam/rolePolicy:RolePolicy");
/** The inline policy of the role with this name (roles and their policies share the logical prefix). */
function policyOfRole(roleName: string): PolicyDocument {
  const role = ofType(stack.created, "aws:iam/role:Role").find((candidate) => candidate.inputs.name === roleName);
  expect(role, `role ${roleName}`).toBeDefined();
  const policy = rolePolicies().find((candidate) => candidate.inputs.role === `${role!.name}-id`);
  expect(policy, `policy of ${roleName}`).toBeDefined();
  return policyOf(policy!);
}
const actionsOf = (document: PolicyDocument): string[] => document.Statement.flatMap((statement) => statement.Action);
const functionArn = (name: string): string => `arn:aws:lambda:eu-west-1:123456789012:function:${name}`;
const machines = () => ofType(stack.created, "aws:sfn/stateMachine:StateMachine");

describe("state machines", () => {
  it("deploys every committed definition, ARNs filled and otherwise identical to the committed ASL", () => {
    expect(machines()).toHaveLength(stack.manifest.machines.length);
    const byArn = new Map<string, string>();
    for (const task of Object.keys(stack.manifest.tasks)) byArn.set(functionArn(deployedName(STAGE, taskSlug(task))), `\${Task:${task}}`);
    for (const machine of stack.manifest.machines) {
      byArn.set(`arn:aws:states:eu-west-1:123456789012:stateMachine:${machineDeployedName(STAGE, machine.runbook, machine.machine)}`, `\${Machine:${machine.runbook}/${machine.machine}}`);
    }
    const unfill = (value: unknown): unknown => {
      if (typeof value === "string") return byArn.get(value) ?? value;
      if (Array.isArray(value)) return value.map(unfill);
      if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, unfill(inner)]));
      return value;
    };
    for (const machine of stack.manifest.machines) {
      const deployed = machines().find((candidate) => candidate.inputs.name === machineDeployedName(STAGE, machine.runbook, machine.machine));
      expect(deployed, machine.name).toBeDefined();
      const definition = deployed!.inputs.definition as string;
      expect(definition, machine.definition).not.toContain("${");
      expect(unfill(JSON.parse(definition)), machine.definition).toEqual(loadDefinition(ROOT, machine));
    }
  });

  it("every machine is STANDARD, logs ALL with execution data to a retained log group, and traces", () => {
    const logGroups = new Map(ofType(stack.created, "aws:cloudwatch/logGroup:LogGroup").map((group) => [`arn:aws:logs:eu-west-1:123456789012:log-group:${group.inputs.name as string}:*`, group]));
    for (const machine of machines()) {
      expect(machine.inputs.type).toBe("STANDARD");
      expect(machine.inputs.tracingConfiguration).toEqual({ enabled: true });
      const logging = machine.inputs.loggingConfiguration as { level: string; includeExecutionData: boolean; logDestination: string };
      expect(logging.level).toBe("ALL");
      expect(logging.includeExecutionData).toBe(true);
      expect(logGroups.get(logging.logDestination)?.inputs.retentionInDays, machine.inputs.name as string).toBe(90);
    }
  });

  it("a machine's role invokes only its own tasks and starts only its own phase machines", () => {
    for (const machine of stack.manifest.machines) {
      const document = policyOfRole(deployedName(STAGE, `${machine.runbook}-${machine.machine}-sfn`));
      const invoke = document.Statement.filter((statement) => statement.Action.includes("lambda:InvokeFunction")).flatMap((statement) => statement.Resource);
      const own = machine.tasks.map((task) => functionArn(deployedName(STAGE, taskSlug(task))));
      expect(new Set(invoke)).toEqual(new Set(own.flatMap((arn) => [arn, `${arn}:*`])));
      const starts = document.Statement.filter((statement) => statement.Action.includes("states:StartExecution")).flatMap((statement) => statement.Resource);
      const children = machine.starts.map((name) => stack.manifest.machines.find((candidate) => candidate.name === name)!);
      expect(new Set(starts)).toEqual(new Set(children.map((child) => `arn:aws:states:eu-west-1:123456789012:stateMachine:${machineDeployedName(STAGE, child.runbook, child.machine)}`)));
      const sync = document.Statement.find((statement) => statement.Action.includes("events:PutRule"));
      if (machine.starts.length > 0) {
        expect(sync?.Resource).toEqual(["arn:aws:events:eu-west-1:123456789012:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"]);
        const describe = document.Statement.find((statement) => statement.Action.includes("states:DescribeExecution"));
        expect(describe?.Resource.every((arn) => children.some((child) => arn === `arn:aws:states:eu-west-1:123456789012:execution:${machineDeployedName(STAGE, child.runbook, child.machine)}:*`))).toBe(true);
      } else {
        expect(sync).toBeUndefined();
      }
    }
  });
});

describe("IAM", () => {
  it("no statement anywhere allows a wildcard action or an unfilled resource", () => {
    const documents = [...rolePolicies(), ...ofType(stack.created, "aws:iam/policy:Policy")].map(policyOf);
    expect(documents.length).toBeGreaterThan(80);
    for (const document of documents) {
      for (const statement of document.Statement) {
        for (const action of statement.Action) expect(action, JSON.stringify(statement)).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
        for (const resource of statement.Resource) expect(resource, JSON.stringify(statement)).not.toMatch(/[{}]|undefined/);
      }
    }
  });

  it("each task role holds exactly its declared actions, plus the step journal and its own log stream", () => {
    for (const [name, task] of Object.entries(stack.manifest.tasks)) {
      const slug = deployedName(STAGE, taskSlug(name));
      const document = policyOfRole(slug);
      const declared = new Set([...task.iam.flatMap((grant) => grant.actions), ...STEP_JOURNAL_GRANT.actions, "logs:CreateLogStream", "logs:PutLogEvents"]);
      expect(new Set(actionsOf(document)), name).toEqual(declared);
      const journal = document.Statement.find((statement) => statement.Action.join() === STEP_JOURNAL_GRANT.actions.join());
      expect(journal?.Resource).toEqual([`arn:aws:dynamodb:eu-west-1:123456789012:table/${deployedName(STAGE, "steps", 255)}`]);
      // The incidents table (and the requester its records name) is writable only by a task that declares it.
      const incidentsArn = `arn:aws:dynamodb:eu-west-1:123456789012:table/${deployedName(STAGE, "incidents", 255)}`;
      const declaresIncidents = task.iam.some((grant) => (grant.resources ?? []).includes("{table:incidents}"));
      if (!declaresIncidents) expect(document.Statement.filter((statement) => statement.Resource.includes(incidentsArn)), name).toEqual([]);
      const logs = document.Statement.find((statement) => statement.Action.includes("logs:PutLogEvents"));
      expect(logs?.Resource).toEqual([`arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/${slug}:log-stream:*`]);
    }
  });

  it("respond and remind hold exactly the IAM declared beside their code, the archiver reads only this stage's executions", () => {
    const logs = ["logs:CreateLogStream", "logs:PutLogEvents"];
    expect(new Set(actionsOf(policyOfRole(deployedName(STAGE, "approval-respond"))))).toEqual(new Set([...RESPOND_IAM.flatMap((grant) => grant.actions), ...logs]));
    expect(new Set(actionsOf(policyOfRole(deployedName(STAGE, "approval-remind"))))).toEqual(new Set([...REMIND_IAM.flatMap((grant) => grant.actions), ...logs]));
    const archiver = policyOfRole(deployedName(STAGE, "audit-archive-execution"));
    const history = archiver.Statement.find((statement) => statement.Action.includes("states:GetExecutionHistory"))!;
    expect(history.Resource).toHaveLength(stack.manifest.machines.length);
    for (const arn of history.Resource) expect(arn).toMatch(/^arn:aws:states:eu-west-1:123456789012:execution:irflow-test-[a-z0-9-]+:\*$/);
  });

  it("fills contracts' resource placeholders with the deployed resources", () => {
    const request = policyOfRole(deployedName(STAGE, "approval-request"));
    expect(request.Statement).toContainEqual({ Effect: "Allow", Action: ["dynamodb:PutItem"], Resource: [`arn:aws:dynamodb:eu-west-1:123456789012:table/${deployedName(STAGE, "approvals", 255)}`] });
    expect(request.Statement).toContainEqual({ Effect: "Allow", Action: ["sns:Publish"], Resource: [`arn:aws:sns:eu-west-1:123456789012:${deployedName(STAGE, "approvals", 256)}`] });
    const close = policyOfRole(deployedName(STAGE, "audit-close-incident"));
    expect(close.Statement.find((statement) => statement.Action.includes("s3:PutObject"))?.Resource).toEqual([expect.stringMatching(/^arn:aws:s3:::irflow-test-audit-0123abcd\/\*$/)]);
    const notify = policyOfRole(deployedName(STAGE, "sns-notify"));
    expect(new Set(notify.Statement[0]!.Resource)).toEqual(
      new Set(["arn:aws:sns:eu-west-1:123456789012:irflow-test-responders", "arn:aws:sns:eu-west-1:123456789012:resource-owners", "arn:aws:sns:eu-west-1:123456789012:irflow-test-security-lead"]),
    );
  });
});

describe("functions", () => {
  const functions = () => ofType(stack.created, "aws:lambda/function:Function");

  it("one nodejs22.x Lambda per task, plus respond, start-incident, remind, the archiver and the closer of stopped incidents", () => {
    const names = new Set(functions().map((fn) => fn.inputs.name));
    for (const task of Object.keys(stack.manifest.tasks)) expect(names.has(deployedName(STAGE, taskSlug(task))), task).toBe(true);
    for (const service of ["approval-respond", "incident-start", "approval-remind", "audit-archive-execution", "audit-close-stopped-incident"]) expect(names.has(deployedName(STAGE, service))).toBe(true);
    expect(functions()).toHaveLength(Object.keys(stack.manifest.tasks).length + 5);
    for (const fn of functions()) expect(fn.inputs.runtime).toBe("nodejs22.x");
  });

  it("every deployed function's handler file exists", () => {
    const missing = functions()
      .map((fn) => (fn.inputs.tags as Record<string, string>)["irflow:entry"]!)
      .filter((entry) => !existsSync(join(ROOT, entry)));
    expect(missing).toEqual([]);
  });

  it("tasks get IRFLOW_CONFIG (the functions' own schema) and the tables, buckets and topics their IAM names", () => {
    const env = (name: string) => (functions().find((fn) => fn.inputs.name === deployedName(STAGE, name))!.inputs.environment as { variables: Record<string, string> }).variables;
    const config = IrflowConfig.parse(JSON.parse(env("ec2-isolate-instance").IRFLOW_CONFIG!));
    expect(config).toMatchObject({ region: "eu-west-1", quarantineGroups: { "vpc-0a1b2c3d4e5f60718": "sg-0a1b2c3d4e5f60718" }, evidenceBucket: "irflow-test-evidence-0123abcd" });
    expect(config.topics.owner).toBe("arn:aws:sns:eu-west-1:123456789012:resource-owners");
    expect(env("ec2-isolate-instance").IRFLOW_STEPS_TABLE).toBe(deployedName(STAGE, "steps", 255));
    expect(env("ec2-isolate-instance").IRFLOW_INCIDENTS_TABLE).toBeUndefined();
    expect(env("approval-request").IRFLOW_INCIDENTS_TABLE).toBe(deployedName(STAGE, "incidents", 255));
    expect(env("ec2-isolate-instance").IRFLOW_APPROVALS_TABLE).toBeUndefined();
    expect(env("approval-request")).toMatchObject({ IRFLOW_APPROVALS_TABLE: deployedName(STAGE, "approvals", 255), IRFLOW_APPROVALS_TOPIC_ARN: expect.stringContaining(":irflow-test-approvals") });
    expect(env("audit-close-incident").IRFLOW_AUDIT_BUCKET).toBe("irflow-test-audit-0123abcd");
    expect(env("ec2-capture-memory").IRFLOW_EVIDENCE_BUCKET).toBe("irflow-test-evidence-0123abcd");
    expect(JSON.parse(env("approval-respond").IRFLOW_APPROVERS!)).toEqual(stack.config.approvers);
  });
});

describe("approval API", () => {
  it("serves exactly the exported routes (the ones the respond and start-incident handlers serve), every one with IAM authorization", () => {
    const routes = ofType(stack.created, "aws:apigatewayv2/route:Route");
    expect(routes.map((route) => route.inputs.routeKey).sort()).toEqual([...APPROVAL_ROUTES, ...INCIDENT_ROUTES].map(routeKey).sort());
    for (const route of routes) expect(route.inputs.authorizationType, route.inputs.routeKey as string).toBe("AWS_IAM");
    expect(APPROVAL_ROUTES.map(routeKey)).toEqual([...RESPOND_ROUTES]);
    expect(INCIDENT_ROUTES.map(routeKey)).toEqual([START_INCIDENT_ROUTE]);
    // POST /incidents goes to the start-incident function, and only it may be invoked for that route.
    const integrations = ofType(stack.created, "aws:apigatewayv2/integration:Integration");
    const incidents = routes.find((route) => route.inputs.routeKey === START_INCIDENT_ROUTE)!;
    const target = integrations.find((integration) => incidents.inputs.target === `integrations/${integration.name}-id`);
    expect(target?.inputs.integrationUri).toBe(functionArn(deployedName(STAGE, "incident-start")));
    const permission = ofType(stack.created, "aws:lambda/permission:Permission").find((candidate) => String(candidate.inputs.sourceArn).endsWith("/*/POST/incidents"));
    expect(permission?.inputs.function).toBe(deployedName(STAGE, "incident-start"));
  });

  it("the start-incident function may start only the incident machines of runbooks with a manual trigger, and is told which", () => {
    const manual = stack.manifest.runbooks.filter((runbook) => runbook.triggers.some((trigger) => trigger.kind === "manual"));
    expect(manual.length).toBeGreaterThan(0);
    expect(manual.length).toBeLessThan(stack.manifest.runbooks.length);
    const arnOf = (runbook: string) => `arn:aws:states:eu-west-1:123456789012:stateMachine:${machineDeployedName(STAGE, runbook, "incident")}`;
    const document = policyOfRole(deployedName(STAGE, "incident-start"));
    expect(new Set(actionsOf(document))).toEqual(new Set(["states:StartExecution", "logs:CreateLogStream", "logs:PutLogEvents"]));
    const start = document.Statement.find((statement) => statement.Action.includes("states:StartExecution"))!;
    expect([...start.Resource].sort()).toEqual(manual.map((runbook) => arnOf(runbook.id)).sort());
    const fn = ofType(stack.created, "aws:lambda/function:Function").find((candidate) => candidate.inputs.name === deployedName(STAGE, "incident-start"))!;
    const env = JSON.parse((fn.inputs.environment as { variables: Record<string, string> }).variables.IRFLOW_INCIDENT_MACHINES!) as { machines: Record<string, string>; manual: string[] };
    expect(env.manual.sort()).toEqual(manual.map((runbook) => runbook.id).sort());
    expect(Object.keys(env.machines).sort()).toEqual(stack.manifest.runbooks.map((runbook) => runbook.id).sort());
    for (const [runbook, arn] of Object.entries(env.machines)) expect(arn).toBe(arnOf(runbook));
  });

  it("responders may invoke the routes and nothing else; the configured approver roles get that policy", async () => {
    const responders = ofType(stack.created, "aws:iam/policy:Policy").find((policy) => policy.inputs.name === deployedName(STAGE, "responders", 128))!;
    expect(policyOf(responders).Statement).toEqual([
      {
        Effect: "Allow",
        Action: ["execute-api:Invoke"],
        Resource: expect.arrayContaining(["arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/$default/POST/approvals/*/approve", "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/$default/POST/incidents"]),
      },
      NO_DIRECT_ANSWERS,
      { Effect: "Deny", Action: ["states:StartExecution"], Resource: [`arn:aws:states:eu-west-1:123456789012:stateMachine:irflow-${STAGE}-*`] },
    ]);
    const attached = ofType(stack.created, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((attachment) => attachment.inputs.role);
    expect(attached.sort()).toEqual(["IncidentLead", "IncidentResponder", "SecurityAuditor"]);
    // The deny covers every machine of the stage: responders cannot start one around POST /incidents.
    for (const machine of machines()) expect(String(machine.inputs.name)).toMatch(new RegExp(`^irflow-${STAGE}-`));
    expect(await valueOf(stack.outputs.approvalApiUrl)).toMatch(/^https:\/\//);
  });

  it("people cannot answer a waiting task around the approval API: responders and auditors are denied SendTask*, only respond holds it", () => {
    const people = ofType(stack.created, "aws:iam/policy:Policy").map(policyOf);
    expect(people).toHaveLength(2);
    for (const document of people) expect(document.Statement).toContainEqual({ Effect: "Deny", Action: ["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"], Resource: ["*"] });
    const holders = rolePolicies().filter((policy) => policyOf(policy).Statement.some((statement) => statement.Effect === "Allow" && statement.Action.some((action) => action.startsWith("states:SendTask"))));
    expect(holders.map((policy) => policy.inputs.role)).toEqual([expect.stringContaining("approval-respond")]);
  });

  it("the approvals topic and every created alert topic are KMS-encrypted", () => {
    const topics = ofType(stack.created, "aws:sns/topic:Topic");
    expect(topics.map((topic) => topic.inputs.name).sort()).toEqual(["irflow-test-approvals", "irflow-test-responders", "irflow-test-security-lead"]);
    for (const topic of topics) expect(topic.inputs.kmsMasterKeyId).toBe("alias/aws/sns");
  });
});

describe("storage", () => {
  const forBucket = (type: string, prefix: string) => ofType(stack.created, type).find((resource) => String(resource.inputs.bucket).startsWith(prefix));

  it("the audit bucket is versioned, Object Locked with the configured default retention, private, encrypted and TLS only", () => {
    const audit = ofType(stack.created, "aws:s3/bucket:Bucket").find((bucket) => bucket.name === "audit-bucket")!;
    expect(audit.inputs.objectLockEnabled).toBe(true);
    expect(forBucket("aws:s3/bucketVersioning:BucketVersioning", "audit-bucket")?.inputs.versioningConfiguration).toEqual({ status: "Enabled" });
    expect(forBucket("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", "audit-bucket")?.inputs).toMatchObject({ objectLockEnabled: "Enabled", rule: { defaultRetention: { mode: "COMPLIANCE", days: 400 } } });
    for (const prefix of ["audit-bucket", "evidence-bucket"]) {
      expect(forBucket("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", prefix)?.inputs).toMatchObject({ blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true });
      expect(forBucket("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", prefix)).toBeDefined();
      const policy = JSON.parse(forBucket("aws:s3/bucketPolicy:BucketPolicy", prefix)!.inputs.policy as string) as { Statement: { Effect: string; Condition: unknown }[] };
      expect(policy.Statement).toContainEqual(expect.objectContaining({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }));
    }
  });

  it("the incident, approval and step-journal tables have point-in-time recovery, the stores' keys and expiresAt as TTL", () => {
    const tables = ofType(stack.created, "aws:dynamodb/table:Table");
    expect(tables.map((table) => table.inputs.name).sort()).toEqual(["approvals", "incidents", "steps"].map((key) => deployedName(STAGE, key, 255)));
    for (const table of tables) {
      expect(table.inputs).toMatchObject({ hashKey: "pk", rangeKey: "sk", pointInTimeRecovery: { enabled: true }, ttl: { attributeName: "expiresAt", enabled: true }, deletionProtectionEnabled: true });
    }
  });
});

describe("EventBridge rules", () => {
  const rules = () => ofType(stack.created, "aws:cloudwatch/eventRule:EventRule");
  const targets = () => ofType(stack.created, "aws:cloudwatch/eventTarget:EventTarget");
  const triggerRules = (runbook: string) => rules().filter((rule) => (rule.inputs.name as string).startsWith(deployedName(STAGE, `${runbook}-trigger-`)));
  const patternOf = (rule: MockedResource) => JSON.parse(rule.inputs.eventPattern as string) as Record<string, unknown>;

  it("every rule has one target with the retry policy and the encrypted dead-letter queue", () => {
    const queue = ofType(stack.created, "aws:sqs/queue:Queue");
    expect(queue).toHaveLength(1);
    expect(queue[0]!.inputs.sqsManagedSseEnabled).toBe(true);
    for (const rule of rules()) {
      const own = targets().filter((target) => target.inputs.rule === rule.inputs.name);
      expect(own, rule.inputs.name as string).toHaveLength(1);
      expect(own[0]!.inputs.retryPolicy).toEqual(RULE_RETRY_POLICY);
      expect(own[0]!.inputs.deadLetterConfig).toEqual({ arn: queue[0]!.state.arn });
    }
    const policy = JSON.parse(ofType(stack.created, "aws:sqs/queuePolicy:QueuePolicy")[0]!.inputs.policy as string) as { Statement: { Condition: { ArnEquals: { "aws:SourceArn": string[] } } }[] };
    expect(policy.Statement[0]!.Condition.ArnEquals["aws:SourceArn"]).toHaveLength(rules().length);
  });

  it("each runbook's triggers become rules targeting its incident machine (schedules keep their expression)", () => {
    for (const runbook of stack.manifest.runbooks) {
      const automatic = runbook.triggers.filter((trigger) => trigger.kind !== "manual");
      const own = triggerRules(runbook.id);
      expect(own, runbook.id).toHaveLength(automatic.length);
      const incidentArn = `arn:aws:states:eu-west-1:123456789012:stateMachine:${machineDeployedName(STAGE, runbook.id, "incident")}`;
      for (const rule of own) expect(targets().find((target) => target.inputs.rule === rule.inputs.name)?.inputs).toMatchObject({ arn: incidentArn, roleArn: expect.stringContaining(":role/irflow-test-triggers") });
      for (const trigger of automatic) {
        if (trigger.kind === "schedule") expect(own.map((rule) => rule.inputs.scheduleExpression)).toContain(trigger.expression);
        if (trigger.kind === "event") expect(own.map(patternOf)).toContainEqual(trigger.pattern);
      }
    }
  });

  /** Which runbooks' event rules match an event. */
  const matchingRunbooks = (event: unknown): string[] =>
    stack.manifest.runbooks.filter((runbook) => triggerRules(runbook.id).some((rule) => rule.inputs.eventPattern !== undefined && matchesPattern(patternOf(rule), event))).map((runbook) => runbook.id);

  it("every scenario's event starts its own runbook and no other (scheduled runbooks: no pattern matches)", () => {
    const dir = join(ROOT, "test/scenarios");
    const files = readdirSync(dir).filter((file) => file.endsWith(".yaml"));
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const file of files) {
      const scenario = parseYaml(readFileSync(join(dir, file), "utf8")) as { runbook: string; event: unknown };
      const runbook = stack.manifest.runbooks.find((candidate) => candidate.id === scenario.runbook)!;
      const expected = runbook.triggers.some((trigger) => trigger.kind === "event") ? [runbook.id] : [];
      expect(matchingRunbooks(scenario.event), file).toEqual(expected);
    }
  });

  it("the sample events start exactly the runbooks meant for them", () => {
    const expected: Record<string, string[]> = {
      "cloudtrail-authorize-sg-ingress-world.json": ["security-group-open-to-world"],
      "cloudtrail-put-bucket-acl.json": ["public-s3-bucket"],
      "config-s3-public-read.json": ["public-s3-bucket"],
      "flowlog-reject.json": ["flow-log-known-bad-traffic"],
      "guardduty-backdoor-ec2.json": ["ec2-instance-compromise"],
      "guardduty-iam-exfiltration.json": ["iam-access-key-compromise"],
      "guardduty-ssh-brute-force.json": ["ssh-rdp-brute-force"],
      "manual.json": [],
      "schedule.json": [],
    };
    const dir = join(ROOT, "test/fixtures/events");
    for (const file of readdirSync(dir).filter((name) => name.endsWith(".json"))) {
      const event = JSON.parse(readFileSync(join(dir, file), "utf8")) as Record<string, unknown>;
      expect(matchingRunbooks(event), file).toEqual(expected[file] ?? "an expectation for this new fixture");
    }
  });

  it("unrelated events start nothing: low severity, other finding types, other sources", () => {
    const backdoor = JSON.parse(readFileSync(join(ROOT, "test/fixtures/events/guardduty-backdoor-ec2.json"), "utf8")) as { detail: Record<string, unknown> };
    expect(matchingRunbooks({ ...backdoor, detail: { ...backdoor.detail, severity: 2 } })).toEqual([]);
    expect(matchingRunbooks({ ...backdoor, detail: { ...backdoor.detail, type: "Recon:EC2/Portscan" } })).toEqual([]);
    expect(matchingRunbooks({ ...backdoor, source: "aws.securityhub" })).toEqual([]);
  });

  it("the archiver hears every irflow machine's end and only this stage's machines", () => {
    const archive = rules().filter((rule) => (rule.inputs.name as string).endsWith("-archive"));
    expect(archive).toHaveLength(stack.manifest.runbooks.length);
    const arns = archive.flatMap((rule) => (patternOf(rule) as { detail: { stateMachineArn: string[] } }).detail.stateMachineArn);
    expect(arns.sort()).toEqual(machines().map((machine) => machine.state.arn as string).sort());
    const ended = { source: "aws.states", "detail-type": "Step Functions Execution Status Change", detail: { status: "FAILED", stateMachineArn: arns[0] } };
    expect(archive.some((rule) => matchesPattern(patternOf(rule), ended))).toBe(true);
    expect(archive.some((rule) => matchesPattern(patternOf(rule), { ...ended, detail: { ...ended.detail, status: "RUNNING" } }))).toBe(false);
    expect(archive.some((rule) => matchesPattern(patternOf(rule), { ...ended, detail: { ...ended.detail, stateMachineArn: "arn:aws:states:eu-west-1:123456789012:stateMachine:someone-else" } }))).toBe(false);
  });

  it("the reminder sweep runs every five minutes", () => {
    expect(rules().find((rule) => rule.inputs.name === deployedName(STAGE, "approval-remind"))?.inputs.scheduleExpression).toBe("rate(5 minutes)");
  });
});
