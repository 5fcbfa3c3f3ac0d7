import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { APPROVAL_ROUTES, INCIDENT_ROUTES, routeKey, routeResource, type ApiRoute } from "./approval-routes.js";
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
 * The approval API: an HTTP API whose every route requires IAM (SigV4) authorization, with access
 * logs; the approval routes are served by the respond function, `POST /incidents` by the
 * start-incident function. Who may call it is decided by IAM (docs/deploy.md); who may approve a
 * given step is decided by the respond function against the step's approvers.
 */
export function createApprovalApi(ctx: StackContext, respond: Lambda, startIncident: Lambda): ApprovalApi {
  const api = new aws.apigatewayv2.Api("approval-api", {
    name: deployedName(ctx.stage, "approvals", 128),
    protocolType: "HTTP",
    description: "irflow approvals (list, approve, reject) and manual incident starts (IAM authorization)",
    tags: ctx.tags,
  });
  const integrationOf = (name: string, target: Lambda) =>
    new aws.apigatewayv2.Integration(name, {
      apiId: api.id,
      integrationType: "AWS_PROXY",
      integrationUri: target.fn.arn,
      payloadFormatVersion: "2.0",
      timeoutMilliseconds: 29_000,
    });
  const served: { route: ApiRoute; target: Lambda; integration: aws.apigatewayv2.Integration }[] = [];
  const integration = integrationOf("approval-api-integration", respond);
  for (const route of APPROVAL_ROUTES) served.push({ route, target: respond, integration });
  const incidents = integrationOf("approval-api-incidents-integration", startIncident);
  for (const route of INCIDENT_ROUTES) served.push({ route, target: startIncident, integration: incidents });
  const routes = served.map(({ route, target, integration }) => {
    const slug = `approval-api-${route.method.toLowerCase()}${route.path.replace(/[{}]/g, "").replace(/\//g, "-")}`;
    new aws.lambda.Permission(`${slug}-invoke`, {
      action: "lambda:InvokeFunction",
      function: target.fn.name,
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
  const routeArns = api.executionArn.apply((arn) => served.map(({ route }) => `${arn}/$default/${routeResource(route)}`));
  return { api, routes, routeArns };
}
