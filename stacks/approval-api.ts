import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { APPROVAL_ROUTES, routeKey, routeResource } from "./approval-routes.js";
import type { StackContext } from "./context.js";
import type { Lambda } from "./lambda.js";
import { deployedName } from "./names.js";

export interface ApprovalApi {
  readonly api: aws.apigatewayv2.Api;
  readonly routes: aws.apigatewayv2.Route[];
  /** `execute-api` ARNs of every route, for responders' policies. */
  readonly routeArns: pulumi.Output<string[]>;
}

/**
 * The approval API: an HTTP API whose every route requires IAM (SigV4) authorization, served by the
 * respond function, with access logs. Who may call it is decided by IAM (docs/deploy.md); who may
 * approve a given step is decided by the respond function against the step's approvers.
 */
export function createApprovalApi(ctx: StackContext, respond: Lambda): ApprovalApi {
  const api = new aws.apigatewayv2.Api("approval-api", {
    name: deployedName(ctx.stage, "approvals", 128),
    protocolType: "HTTP",
    description: "irflow approvals: list, approve, reject (IAM authorization)",
    tags: ctx.tags,
  });
  const integration = new aws.apigatewayv2.Integration("approval-api-integration", {
    apiId: api.id,
    integrationType: "AWS_PROXY",
    integrationUri: respond.fn.arn,
    payloadFormatVersion: "2.0",
    timeoutMilliseconds: 29_000,
  });
  const routes = APPROVAL_ROUTES.map((route) => {
    const slug = `approval-api-${route.method.toLowerCase()}${route.path.replace(/[{}]/g, "").replace(/\//g, "-")}`;
    new aws.lambda.Permission(`${slug}-invoke`, {
      action: "lambda:InvokeFunction",
      function: respond.fn.name,
      principal: "apigateway.amazonaws.com",
      sourceArn: pulumi.interpolate`${api.executionArn}/*/${routeResource(route)}`,
    });
    return new aws.apigatewayv2.Route(slug, {
      apiId: api.id,
      routeKey: routeKey(route),
      authorizationType: "AWS_IAM",
      target: pulumi.interpolate`integrations/${integration.id}`,
    });
  });
  const accessLogs = new aws.cloudwatch.LogGroup("approval-api-logs", { name: `/aws/vendedlogs/irflow/${deployedName(ctx.stage, "approvals")}`, retentionInDays: ctx.config.logRetentionDays, tags: ctx.tags });
  new aws.apigatewayv2.Stage(
    "approval-api-stage",
    {
      apiId: api.id,
      name: "$default",
      autoDeploy: true,
      accessLogSettings: {
        destinationArn: accessLogs.arn,
        format: JSON.stringify({
          requestId: "$context.requestId",
          caller: "$context.identity.caller",
          userArn: "$context.identity.userArn",
          routeKey: "$context.routeKey",
          status: "$context.status",
          requestTime: "$context.requestTime",
          sourceIp: "$context.identity.sourceIp",
        }),
      },
      defaultRouteSettings: { throttlingBurstLimit: 50, throttlingRateLimit: 20 },
      tags: ctx.tags,
    },
    { dependsOn: routes },
  );
  const routeArns = api.executionArn.apply((arn) => APPROVAL_ROUTES.map((route) => `${arn}/$default/${routeResource(route)}`));
  return { api, routes, routeArns };
}
