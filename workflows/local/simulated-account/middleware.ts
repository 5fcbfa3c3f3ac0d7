import { ConfiguredRetryStrategy } from "@smithy/core/retry";
import type { AwsClientLike } from "../../../functions/contract/clients.js";
import { SimulationError } from "./errors.js";

/**
 * The one point where the simulation meets the SDK. The middleware sits where the service sits, as
 * far as retries go: in the `finalizeRequest` step right after the SDK's retry middleware, in place
 * of request signing, the HTTP handler and the deserializer (it answers with the output the
 * deserializer would have built). So a call goes through, in order: the service's own input checks
 * (S3's bucket names, …), endpoint resolution (the ruleset: the region and, for S3, the bucket),
 * the protocol serializer (which refuses what the SDK could not send, such as a missing HTTP label),
 * the service's own request middlewares (S3's, …), and the SDK's retry strategy: a throttled call
 * is retried by the SDK (standard mode) before the task, and then Step Functions' Retry, ever sees
 * an error, as with a real client. What only dresses the HTTP request or the logs (UNSIMULATED) is
 * taken out of each client's stack, and nothing resolves credentials or signs: that was ~40% of
 * the SDK's CPU per simulated call (~25 of ~65 µs), for nothing the simulation reads.
 */
interface Dispatcher {
  dispatch(clientName: string, commandName: string, input: unknown, clientRegion?: string): Promise<object>;
}

interface HandlerContext {
  readonly clientName?: string;
  readonly commandName?: string;
}

type FinalizeHandler = (args: { input: unknown; request?: unknown }) => Promise<{ output: unknown; response: unknown }>;

interface MiddlewareStackLike {
  remove(name: string): boolean;
  addRelativeTo(middleware: (next: FinalizeHandler, context: HandlerContext) => FinalizeHandler, options: { relation: "after"; toMiddleware: string; name: string; override: boolean }): void;
}

interface SimulatableClient {
  readonly middlewareStack: MiddlewareStackLike;
  readonly config: { region?: unknown; credentials?: unknown; maxAttempts?: unknown; retryStrategy?: unknown; cacheMiddleware?: boolean };
}

/** How long the SDK waits before retry `attempt` (2, 3, …), in milliseconds. */
export type SdkRetryDelay = number | ((attempt: number) => number);

export interface SimulationOptions {
  /** Replaces the SDK's backoff (and only the backoff: which errors it retries and how often stay the SDK's). */
  readonly sdkRetryDelay?: SdkRetryDelay;
}

const FAKE_CREDENTIALS = { accessKeyId: "AKIASIMULATEDACCOUNT", secretAccessKey: "simulated-account-not-a-secret" };
export const MIDDLEWARE_NAME = "irflowSimulatedAccount";

/**
 * The client middlewares a simulated call skips: request logging, the User-Agent, Host,
 * Content-Length and recursion-detection headers, and the auth scheme's identity (credentials),
 * which only signing, also skipped, would use. Everything that can refuse a call stays.
 */
export const UNSIMULATED: readonly string[] = [
  "loggerMiddleware",
  "getUserAgentMiddleware",
  "hostHeaderMiddleware",
  "contentLengthMiddleware",
  "recursionDetectionMiddleware",
  "httpAuthSchemeMiddleware",
];

function isSimulatable(client: AwsClientLike): client is AwsClientLike & SimulatableClient {
  const candidate = client as Partial<SimulatableClient>;
  return typeof candidate.middlewareStack?.addRelativeTo === "function" && typeof candidate.config === "object" && candidate.config !== null;
}

async function regionOf(client: SimulatableClient): Promise<string | undefined> {
  const region = client.config.region;
  if (typeof region === "string") return region;
  if (typeof region === "function") {
    const value: unknown = await (region as () => Promise<unknown>)();
    return typeof value === "string" ? value : undefined;
  }
  return undefined;
}

/** The client's own attempt count (its `maxAttempts`), kept when only the backoff is replaced. */
function maxAttemptsOf(client: SimulatableClient): () => Promise<number> {
  const configured = client.config.maxAttempts;
  return async () => {
    const value: unknown = typeof configured === "function" ? await (configured as () => Promise<unknown>)() : configured;
    return typeof value === "number" && value >= 1 ? value : 3;
  };
}

export function attachSimulation(client: AwsClientLike, account: Dispatcher, options: SimulationOptions = {}): void {
  if (!isSimulatable(client)) throw new SimulationError(`${client.constructor.name} is not an AWS SDK v3 client; the simulated account cannot answer it`);
  // A presigned URL signs (outside the middleware stack), with these.
  client.config.credentials = () => Promise.resolve({ ...FAKE_CREDENTIALS });
  if (options.sdkRetryDelay !== undefined) {
    // The resolved config's provider is read on every send, so replacing it here takes effect.
    const strategy = new ConfiguredRetryStrategy(maxAttemptsOf(client), options.sdkRetryDelay);
    client.config.retryStrategy = () => Promise.resolve(strategy);
  }
  // The stack is final once this middleware is in, so the SDK may build each command's handler once
  // and reuse it: rebuilding (sorting every middleware) on each send was a tenth of a local incident.
  client.config.cacheMiddleware = true;
  for (const name of UNSIMULATED) client.middlewareStack.remove(name);
  const clientName = client.constructor.name;
  client.middlewareStack.addRelativeTo(
    (_next, context) => async (args) => {
      const output = await account.dispatch(context.clientName ?? clientName, context.commandName ?? "UnknownCommand", args.input, await regionOf(client));
      return { output: { ...output, $metadata: { httpStatusCode: 200, requestId: "simulated", attempts: 1, totalRetryDelay: 0 } }, response: {} };
    },
    // Right below retries: each attempt the retry strategy makes reaches the account.
    { relation: "after", toMiddleware: "retryMiddleware", name: MIDDLEWARE_NAME, override: true },
  );
}
