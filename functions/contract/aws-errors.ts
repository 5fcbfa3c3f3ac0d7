import { forbidden, invalidInput, isTaskError, notFound, TaskError, transient } from "./errors.js";

const THROTTLING = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
  "PriorRequestNotComplete",
  "BandwidthLimitExceeded",
  "ProvisionedThroughputExceededException",
  "EC2ThrottledException",
  "SnapshotCreationPerVolumeRateExceeded",
]);
// LimitExceededException is left out on purpose: in IAM and others it is a quota, not a rate.
const NOT_READY = new Set(["CredentialReportNotReadyException"]);
const SERVER = new Set(["InternalError", "InternalFailure", "InternalServerError", "ServiceUnavailable", "ServiceUnavailableException", "Unavailable", "InternalServerErrorException", "RequestTimeout", "RequestTimeoutException"]);
const NETWORK = new Set(["TimeoutError", "ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "NetworkingError"]);
const DENIED = new Set(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "AuthFailure", "InvalidClientTokenId", "ExpiredToken"]);
const INVALID = new Set(["InvalidParameterValue", "InvalidParameter", "InvalidParameterCombination", "ValidationError", "ValidationException", "MalformedPolicyDocument", "InvalidInput", "InvalidRequest", "BadRequestException"]);

interface AwsErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

/** The service's error code (`InvalidInstanceID.NotFound`, `NoSuchEntity`, …), when there is one. */
export function awsErrorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const shape = error as AwsErrorShape;
  return shape.name ?? shape.code;
}

/**
 * Maps an AWS SDK error onto the named task errors so the state machine can route it: throttling,
 * 5xx and network faults are Transient; a missing resource is NotFound with the id; a denied call
 * is Forbidden (retrying a missing permission only delays the responder).
 */
export function classifyAwsError(error: unknown, what: string): TaskError {
  if (isTaskError(error)) return error;
  const code = awsErrorCode(error) ?? "Unknown";
  const shape = (typeof error === "object" && error !== null ? error : {}) as AwsErrorShape;
  const status = shape.$metadata?.httpStatusCode ?? 0;
  const message = `${what}: ${code}${shape.message ? ` (${shape.message})` : ""}`;
  if (THROTTLING.has(code) || NOT_READY.has(code) || NETWORK.has(code) || SERVER.has(code) || status >= 500 || status === 429 || shape.$retryable) return transient(message, code, error);
  if (code.endsWith("NotFound") || code.endsWith("NotFoundException") || code.startsWith("NoSuch") || code === "ResourceNotFoundException" || status === 404) return notFound(message, code, error);
  if (DENIED.has(code) || status === 403) return forbidden(message, code, error);
  if (INVALID.has(code) || code.startsWith("Invalid")) return invalidInput(message, code);
  return new TaskError("PreconditionFailed", message, code, { cause: error });
}

/** Runs one AWS call, translating its failure; `what` names the call and the resource for the record. */
export async function aws<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw classifyAwsError(error, what);
  }
}

/** EC2's DryRun answers `DryRunOperation` when the call would have succeeded. */
export async function dryRun(what: string, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (error) {
    if (awsErrorCode(error) === "DryRunOperation") return;
    throw classifyAwsError(error, `${what} (dry run)`);
  }
}
