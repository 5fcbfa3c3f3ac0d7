import type { AwsClientLike } from "../../../functions/contract/clients.js";
import { SimulationError } from "./errors.js";

/**
 * The one point where the simulation meets the SDK. The middleware sits at the front of the
 * `initialize` step: it sees the command's name and its input as the task built it, and answers
 * before serialization, endpoint resolution, credential resolution, signing and the HTTP handler
 * could run. The SDK's own retries (in the finalize step) never run either: retrying is left to the
 * task and the state machine, as with `maxAttempts: 1`.
 */

interface Dispatcher {
  dispatch(clientName: string, commandName: string, input: unknown, clientRegion?: string): Promise<object>;
}

interface HandlerContext {
  readonly clientName?: string;
  readonly commandName?: string;
}

type InitializeHandler = (args: { input: unknown }) => Promise<{ output: unknown; response: unknown }>;

interface MiddlewareStackLike {
  add(middleware: (next: InitializeHandler, context: HandlerContext) => InitializeHandler, options: { step: "initialize"; name: string; priority: "high"; override: boolean }): void;
}

interface SimulatableClient {
  readonly middlewareStack: MiddlewareStackLike;
  readonly config: { region?: unknown; credentials?: unknown };
}

const FAKE_CREDENTIALS = { accessKeyId: "AKIASIMULATEDACCOUNT", secretAccessKey: "simulated-account-not-a-secret" };
export const MIDDLEWARE_NAME = "irflowSimulatedAccount";

function isSimulatable(client: AwsClientLike): client is AwsClientLike & SimulatableClient {
  const candidate = client as Partial<SimulatableClient>;
  return typeof candidate.middlewareStack?.add === "function" && typeof candidate.config === "object" && candidate.config !== null;
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

export function attachSimulation(client: AwsClientLike, account: Dispatcher): void {
  if (!isSimulatable(client)) throw new SimulationError(`${client.constructor.name} is not an AWS SDK v3 client; the simulated account cannot answer it`);
  // Whatever bypasses the stack (getSignedUrl signs with a client's credentials) signs with these.
  client.config.credentials = () => Promise.resolve({ ...FAKE_CREDENTIALS });
  const clientName = client.constructor.name;
  client.middlewareStack.add(
    (_next, context) => async (args) => {
      const output = await account.dispatch(context.clientName ?? clientName, context.commandName ?? "UnknownCommand", args.input, await regionOf(client));
      return { output: { ...output, $metadata: { httpStatusCode: 200, requestId: "simulated", attempts: 1, totalRetryDelay: 0 } }, response: {} };
    },
    { step: "initialize", name: MIDDLEWARE_NAME, priority: "high", override: true },
  );
}
