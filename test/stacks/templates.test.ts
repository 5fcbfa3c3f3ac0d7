import { describe, expect, it } from "vitest";
import { DefinitionError, fillDefinition, placeholdersOf } from "../../stacks/definition.js";
import { taskHandlerFile } from "../../stacks/handlers.js";
import { grantStatements, IamTemplateError, resolveResource, type ResourceArns } from "../../stacks/iam.js";
import { deployedName, machineDeployedName } from "../../stacks/names.js";

const ARNS: ResourceArns = {
  partition: "aws",
  region: "eu-west-1",
  account: "123456789012",
  tables: { incidents: "arn:aws:dynamodb:eu-west-1:123456789012:table/incidents" },
  buckets: { audit: "arn:aws:s3:::audit" },
  topics: { approvals: "arn:aws:sns:eu-west-1:123456789012:approvals" },
};

describe("IAM resource templates", () => {
  it("fills account, region, partition and named resources", () => {
    expect(resolveResource("arn:{partition}:ec2:{region}:{account}:instance/*", ARNS)).toBe("arn:aws:ec2:eu-west-1:123456789012:instance/*");
    expect(resolveResource("{bucket:audit}/*", ARNS)).toBe("arn:aws:s3:::audit/*");
    expect(resolveResource("{table:incidents}", ARNS)).toBe(ARNS.tables.incidents);
  });

  it("refuses a resource that is not deployed or a placeholder it does not know, instead of widening", () => {
    expect(() => resolveResource("{table:approvals}", ARNS)).toThrow(IamTemplateError);
    expect(() => resolveResource("{table:approvals}", ARNS)).toThrow(/no table named "approvals"/);
    expect(() => resolveResource("arn:{partition}:ec2:{zone}:x", ARNS)).toThrow(/unknown placeholder/);
  });

  it("keeps conditions, de-duplicates resources, and uses * only for a grant without resources", () => {
    const statements = grantStatements(
      [
        { actions: ["ec2:DescribeInstances"] },
        { actions: ["ec2:CreateTags"], resources: ["arn:{partition}:ec2:{region}::snapshot/*", "arn:{partition}:ec2:{region}::snapshot/*"], conditions: { StringEquals: { "ec2:CreateAction": "CreateSnapshots" } } },
      ],
      ARNS,
    );
    expect(statements).toEqual([
      { Effect: "Allow", Action: ["ec2:DescribeInstances"], Resource: ["*"] },
      { Effect: "Allow", Action: ["ec2:CreateTags"], Resource: ["arn:aws:ec2:eu-west-1::snapshot/*"], Condition: { StringEquals: { "ec2:CreateAction": "CreateSnapshots" } } },
    ]);
  });
});

describe("definitions", () => {
  const definition = {
    StartAt: "A",
    States: {
      A: { Type: "Task", Parameters: { FunctionName: "${Task:ec2.tag-instance}", "Payload.$": "$" }, Next: "B" },
      B: { Type: "Task", Parameters: { StateMachineArn: "${Machine:rb/contain}" }, End: true },
    },
  };
  const arns = { tasks: { "ec2.tag-instance": "arn:fn" }, machines: { "rb/contain": "arn:sm" } };

  it("fills task and machine placeholders and leaves everything else as it was", () => {
    expect(fillDefinition(definition, arns)).toEqual({
      StartAt: "A",
      States: { A: { Type: "Task", Parameters: { FunctionName: "arn:fn", "Payload.$": "$" }, Next: "B" }, B: { Type: "Task", Parameters: { StateMachineArn: "arn:sm" }, End: true } },
    });
    expect(placeholdersOf(definition)).toEqual({ tasks: new Set(["ec2.tag-instance"]), machines: new Set(["rb/contain"]) });
  });

  it("refuses a placeholder with nothing deployed behind it, and any other ${…} form", () => {
    expect(() => fillDefinition(definition, { tasks: {}, machines: arns.machines }, "rb/contain.asl.json")).toThrow(/rb\/contain.asl.json: \$.States.A.Parameters.FunctionName: Task ec2.tag-instance is not deployed/);
    expect(() => fillDefinition({ X: "arn:${Region}:x" }, arns)).toThrow(DefinitionError);
  });
});

describe("names and handler files", () => {
  it("prefixes the stage and bounds long names with a hash so they stay distinct", () => {
    expect(deployedName("prod", "ec2-isolate-instance")).toBe("irflow-prod-ec2-isolate-instance");
    const a = deployedName("production", "flow-log-known-bad-traffic-post-incident-sfn-and-more");
    const b = deployedName("production", "flow-log-known-bad-traffic-post-incident-sfn-and-less");
    expect(a.length).toBeLessThanOrEqual(64);
    expect(a).not.toBe(b);
    expect(machineDeployedName("production", "flow-log-known-bad-traffic", "post-incident").length).toBeLessThanOrEqual(80);
  });

  it("maps library tasks by convention and irflow's own tasks by list", () => {
    expect(taskHandlerFile("ec2.isolate-instance")).toBe("functions/ec2/isolate-instance.handler.ts");
    expect(taskHandlerFile("approval.request")).toBe("functions/approval/request-approval.handler.ts");
    expect(taskHandlerFile("audit.close-incident")).toBe("functions/audit/close-incident.handler.ts");
    expect(() => taskHandlerFile("Not A Task")).toThrow(/not a task name/);
  });
});

describe("sst.config.ts", () => {
  it("treats the same stages as production as the stacks do (app() cannot import them)", async () => {
    const { readFileSync } = await import("node:fs");
    const { PRODUCTION_STAGES } = await import("../../stacks/app.js");
    const source = readFileSync(new URL("../../sst.config.ts", import.meta.url), "utf8");
    const inline = /const PRODUCTION = (\[[^\]]*\]);/.exec(source)?.[1];
    expect(inline && (JSON.parse(inline) as string[])).toEqual(PRODUCTION_STAGES);
    expect(source).toMatch(/name: "irflow", home: "aws", removal: production \? "retain" : "remove", protect: production/);
  });
});
