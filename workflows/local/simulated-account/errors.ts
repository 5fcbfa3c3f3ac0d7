import * as autoscalingSdk from "@aws-sdk/client-auto-scaling";
import * as ec2Sdk from "@aws-sdk/client-ec2";
import * as elbv2Sdk from "@aws-sdk/client-elastic-load-balancing-v2";
import * as guarddutySdk from "@aws-sdk/client-guardduty";
import * as iamSdk from "@aws-sdk/client-iam";
import * as s3Sdk from "@aws-sdk/client-s3";
import * as s3ControlSdk from "@aws-sdk/client-s3-control";
import * as snsSdk from "@aws-sdk/client-sns";
import * as ssmSdk from "@aws-sdk/client-ssm";

/** The services the simulated account models, by the short names the call log and fault rules use. */
export const SERVICES = ["ec2", "iam", "s3", "s3control", "sns", "ssm", "guardduty", "autoscaling", "elbv2"] as const;
export type ServiceName = (typeof SERVICES)[number];

/**
 * A gap or a misuse of the simulation itself (an operation it does not model, a client it has no
 * service for): loud, and never mistaken for an answer AWS could give.
 */
export class SimulationError extends Error {
  override readonly name = "SimulationError";
}

/** A scenario or a seed that contradicts itself; `path` names the field (resources.ec2.instances.0.subnetId). */
export class ResourceError extends Error {
  override readonly name = "ResourceError";
  constructor(
    readonly path: readonly (string | number)[],
    message: string,
  ) {
    super(`${formatPath(path)}: ${message}`);
  }
}

export function formatPath(path: readonly (string | number)[]): string {
  return path.length === 0 ? "(root)" : path.join(".");
}

type ExceptionCtor = new (options: { name: string; $fault: "client" | "server"; $metadata: { httpStatusCode: number; requestId?: string }; message: string }) => Error;

interface ServiceErrors {
  readonly module: Readonly<Record<string, unknown>>;
  readonly base: ExceptionCtor;
  /** HTTP status per error name where it is not 400. */
  readonly status: Readonly<Record<string, number>>;
  readonly throttling: string;
  readonly denied: string;
}

/**
 * How each SDK v3 client surfaces an error: a modeled error is an instance of its class (IAM's
 * `NoSuchEntity` arrives as `NoSuchEntityException`, SNS's `Throttling` as `ThrottledException`);
 * any other code arrives as the service's base exception named by the code itself.
 */
const ERRORS: Readonly<Record<ServiceName, ServiceErrors>> = {
  ec2: {
    module: ec2Sdk,
    base: ec2Sdk.EC2ServiceException,
    status: { DryRunOperation: 412, RequestLimitExceeded: 503, UnauthorizedOperation: 403, InternalError: 500, Unavailable: 503 },
    throttling: "RequestLimitExceeded",
    denied: "UnauthorizedOperation",
  },
  iam: {
    module: iamSdk,
    base: iamSdk.IAMServiceException,
    status: {
      NoSuchEntityException: 404,
      EntityAlreadyExistsException: 409,
      LimitExceededException: 409,
      CredentialReportNotReadyException: 404,
      CredentialReportNotPresentException: 410,
      CredentialReportExpiredException: 410,
      AccessDenied: 403,
      ServiceFailureException: 500,
    },
    throttling: "Throttling",
    denied: "AccessDenied",
  },
  s3control: {
    module: s3ControlSdk,
    base: s3ControlSdk.S3ControlServiceException,
    status: { NoSuchPublicAccessBlockConfiguration: 404, AccessDenied: 403, SlowDown: 503, InternalError: 500 },
    throttling: "SlowDown",
    denied: "AccessDenied",
  },
  s3: {
    module: s3Sdk,
    base: s3Sdk.S3ServiceException,
    status: {
      NoSuchBucket: 404,
      NoSuchKey: 404,
      NotFound: 404,
      NoSuchBucketPolicy: 404,
      NoSuchPublicAccessBlockConfiguration: 404,
      NoSuchTagSet: 404,
      OwnershipControlsNotFoundError: 404,
      AccessDenied: 403,
      SlowDown: 503,
      InternalError: 500,
    },
    throttling: "SlowDown",
    denied: "AccessDenied",
  },
  sns: {
    module: snsSdk,
    base: snsSdk.SNSServiceException,
    status: { NotFoundException: 404, ThrottledException: 429, AuthorizationErrorException: 403, InternalErrorException: 500 },
    throttling: "ThrottledException",
    denied: "AuthorizationErrorException",
  },
  ssm: {
    module: ssmSdk,
    base: ssmSdk.SSMServiceException,
    status: { AccessDeniedException: 400, InternalServerError: 500 },
    throttling: "ThrottlingException",
    denied: "AccessDeniedException",
  },
  guardduty: {
    module: guarddutySdk,
    base: guarddutySdk.GuardDutyServiceException,
    status: { AccessDeniedException: 403, ThrottlingException: 429, InternalServerErrorException: 500 },
    throttling: "ThrottlingException",
    denied: "AccessDeniedException",
  },
  autoscaling: {
    module: autoscalingSdk,
    base: autoscalingSdk.AutoScalingServiceException,
    status: { AccessDenied: 403, ResourceContentionFault: 500 },
    throttling: "Throttling",
    denied: "AccessDenied",
  },
  elbv2: {
    module: elbv2Sdk,
    base: elbv2Sdk.ElasticLoadBalancingV2ServiceException,
    status: { AccessDenied: 403 },
    throttling: "Throttling",
    denied: "AccessDenied",
  },
};

let requestCounter = 0;

/**
 * An error exactly as the service's SDK v3 client raises it: `name` the SDK's name for the code,
 * `$metadata.httpStatusCode` as the service answers, `$fault` client or server, an instance of the
 * modeled class when the SDK has one (so `instanceof NoSuchEntityException` holds).
 */
export function serviceError(service: ServiceName, name: string, message: string, status?: number): Error {
  const table = ERRORS[service];
  const httpStatusCode = status ?? table.status[name] ?? 400;
  const candidate = table.module[name];
  const modeled = typeof candidate === "function" && candidate.prototype instanceof table.base ? (candidate as ExceptionCtor) : undefined;
  requestCounter += 1;
  const options = {
    name,
    $fault: httpStatusCode >= 500 ? ("server" as const) : ("client" as const),
    $metadata: { httpStatusCode, requestId: `simulated-${requestCounter}` },
    message,
  };
  const error = new (modeled ?? table.base)(options);
  // The base exception takes the name from the options; a modeled class sets its own, which is the same.
  return error;
}

export const throttlingError = (service: ServiceName): Error =>
  serviceError(service, ERRORS[service].throttling, service === "ec2" ? "Request limit exceeded." : service === "s3" ? "Please reduce your request rate." : "Rate exceeded");

export const accessDeniedError = (service: ServiceName, action: string): Error =>
  serviceError(
    service,
    ERRORS[service].denied,
    service === "ec2"
      ? `You are not authorized to perform this operation. User: arn:aws:sts::simulated:assumed-role/irflow-task/simulated is not authorized to perform: ${action}`
      : `User: arn:aws:sts::simulated:assumed-role/irflow-task/simulated is not authorized to perform: ${action}`,
  );
