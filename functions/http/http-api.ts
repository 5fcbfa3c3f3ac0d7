/**
 * What irflow's IAM-authorized HTTP APIs (API Gateway HTTP API, payload 2.0) share: the parts of
 * the event the handlers read, the JSON response shape, who signed, and the body as JSON.
 */

export interface HttpApiEvent {
  readonly routeKey?: string;
  readonly pathParameters?: Readonly<Record<string, string | undefined>>;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly requestContext?: { readonly authorizer?: { readonly iam?: { readonly userArn?: string } } };
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export const json = (statusCode: number, body: unknown): HttpResponse => ({ statusCode, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** An error response: a stable `error` code for scripts and a `message` for people. */
export const failure = (statusCode: number, error: string, message: string): HttpResponse => json(statusCode, { error, message });

/**
 * The caller's IAM ARN, or the 403 to answer with. Only the signature names the caller: a route
 * deployed without IAM authorization has no `userArn`, and is refused rather than trusted.
 */
export function signedCaller(event: HttpApiEvent): { callerArn: string } | { response: HttpResponse } {
  const callerArn = event.requestContext?.authorizer?.iam?.userArn;
  return callerArn ? { callerArn } : { response: failure(403, "unsigned", "the request carries no IAM identity (the route must use IAM authorization)") };
}

/** The body decoded (base64 when API Gateway says so) and parsed; an empty body is `{}`. */
export function jsonBody(event: HttpApiEvent): { value: unknown } | { error: string } {
  try {
    const text = event.isBase64Encoded ? Buffer.from(event.body ?? "", "base64").toString("utf8") : (event.body ?? "");
    return { value: JSON.parse(text === "" ? "{}" : text) as unknown };
  } catch {
    return { error: "the body is not JSON" };
  }
}
