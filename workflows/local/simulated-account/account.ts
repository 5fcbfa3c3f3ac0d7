import type { AwsClientLike, ClientConfig, ClientProvider } from "../../../functions/contract/clients.js";
import { clientFactory } from "../../../functions/contract/clients.js";
import { AccountId, Region } from "../../../functions/contract/aws-ids.js";
import { AutoScalingModel } from "./autoscaling.js";
import { Ec2Model } from "./ec2.js";
import { Elbv2Model } from "./elbv2.js";
import { accessDeniedError, ResourceError, serviceError, type ServiceName, SimulationError, throttlingError } from "./errors.js";
import { FaultInjector, type FaultConfigInput } from "./faults.js";
import { GuardDutyModel } from "./guardduty.js";
import type { CommandHandler, HandlerTable } from "./handlers.js";
import { IamModel } from "./iam.js";
import { attachSimulation, type SdkRetryDelay } from "./middleware.js";
import { clonePlain, toLogged } from "./plain.js";
import { IdGenerator, seedOf } from "./random.js";
import { AccountResources, type AccountResourcesInput } from "./resources.js";
import { S3Model } from "./s3.js";
import { S3ControlModel } from "./s3-control.js";
import type { ModelContext } from "./services.js";
import { SnsModel } from "./sns.js";
import { SsmModel } from "./ssm.js";

/** One call the account answered (or refused), in order: what tests assert on. */
export interface CallRecord {
  readonly seq: number;
  readonly service: ServiceName;
  /** The operation, without the SDK's "Command" suffix: DescribeInstances. */
  readonly command: string;
  /** The input as sent, as JSON (dates as text, bytes by length). */
  readonly input: unknown;
  readonly outcome: "ok" | "error";
  /** The error's name as the SDK raised it (DryRunOperation, InvalidInstanceID.NotFound, RequestLimitExceeded, …). */
  readonly error?: string;
  /** Why the call failed when the failure was injected rather than the model's answer. */
  readonly fault?: "throttle" | "deny" | "injected";
  readonly dryRun: boolean;
  /** The call changes state when it succeeds (and is not a dry run). */
  readonly mutating: boolean;
}

export interface SimulatedAccountOptions {
  readonly accountId: string;
  readonly region: string;
  readonly resources?: AccountResourcesInput;
  /** The raw EventBridge event of the scenario: GuardDuty findings can be seeded from it. */
  readonly event?: unknown;
  readonly faults?: FaultConfigInput;
  /** The account's clock (creation times, expiries, reports); the wall clock by default. */
  readonly now?: () => Date;
  /** How injected latency waits; a real timer by default. */
  readonly sleep?: (milliseconds: number) => Promise<void>;
  /** Seeds generated ids (instances launched, snapshots, messages); the account id by default. */
  readonly idSeed?: number;
  /**
   * How long the clients' SDK retries wait between attempts (ms, or per attempt). Default: none
   * when `sleep` is injected (a test does not wait for injected latency either), else the SDK's own
   * backoff. Whether and how often a call is retried is always the SDK's standard mode.
   */
  readonly sdkRetryDelay?: SdkRetryDelay;
}

/** SDK v3 client class names, and the service each talks to. */
const CLIENTS: Readonly<Record<string, ServiceName>> = {
  EC2Client: "ec2",
  IAMClient: "iam",
  S3Client: "s3",
  S3ControlClient: "s3control",
  SNSClient: "sns",
  SSMClient: "ssm",
  GuardDutyClient: "guardduty",
  AutoScalingClient: "autoscaling",
  ElasticLoadBalancingV2Client: "elbv2",
};

/** Services whose resources are global or addressed across regions: a client of any region reaches them. */
const GLOBAL: ReadonlySet<ServiceName> = new Set(["iam", "s3", "s3control"]);

/**
 * An AWS account in memory, answering the real SDK v3 clients: a middleware attached to each client
 * where signing and the HTTP handler would be (below serialization and the SDK's retries) dispatches
 * the command by name to the service model and returns its output, or raises the error AWS would.
 * Nothing leaves the process.
 */
export class SimulatedAccount {
  readonly accountId: string;
  readonly region: string;
  readonly calls: CallRecord[] = [];
  readonly ec2: Ec2Model;
  readonly iam: IamModel;
  readonly s3: S3Model;
  readonly s3control: S3ControlModel;
  readonly sns: SnsModel;
  readonly ssm: SsmModel;
  readonly guardduty: GuardDutyModel;
  readonly autoscaling: AutoScalingModel;
  readonly elbv2: Elbv2Model;
  private faults: FaultInjector;
  private readonly sleep: (milliseconds: number) => Promise<void>;
  private readonly sdkRetryDelay: SdkRetryDelay | undefined;
  private readonly tables: Readonly<Record<ServiceName, HandlerTable>>;

  constructor(options: SimulatedAccountOptions) {
    const accountId = AccountId.safeParse(options.accountId);
    if (!accountId.success) throw new ResourceError(["account", "id"], `${options.accountId} must be a 12-digit account id`);
    const region = Region.safeParse(options.region);
    if (!region.success) throw new ResourceError(["account", "region"], `${options.region} must be a region such as us-east-1`);
    this.accountId = accountId.data;
    this.region = region.data;
    this.faults = new FaultInjector(options.faults);
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.sdkRetryDelay = options.sdkRetryDelay ?? (options.sleep ? 0 : undefined);
    const ctx: ModelContext = {
      accountId: this.accountId,
      region: this.region,
      now: options.now ?? (() => new Date()),
      ids: new IdGenerator(options.idSeed ?? seedOf(this.accountId)),
      services: () => this,
    };
    this.ec2 = new Ec2Model(ctx);
    this.iam = new IamModel(ctx);
    this.s3 = new S3Model(ctx);
    this.s3control = new S3ControlModel(ctx);
    this.sns = new SnsModel(ctx);
    this.ssm = new SsmModel(ctx);
    this.guardduty = new GuardDutyModel(ctx);
    this.autoscaling = new AutoScalingModel(ctx);
    this.elbv2 = new Elbv2Model(ctx);
    this.tables = {
      ec2: this.ec2.handlers,
      iam: this.iam.handlers,
      s3: this.s3.handlers,
      s3control: this.s3control.handlers,
      sns: this.sns.handlers,
      ssm: this.ssm.handlers,
      guardduty: this.guardduty.handlers,
      autoscaling: this.autoscaling.handlers,
      elbv2: this.elbv2.handlers,
    };
    const parsed = AccountResources.safeParse(options.resources ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ResourceError(["resources", ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))], issue.message);
    }
    const r = parsed.data;
    // Order matters: instances name instance profiles, groups name instances and target groups.
    if (r.iam) this.iam.seed(r.iam, ["resources", "iam"]);
    if (r.ec2) this.ec2.seed(r.ec2, ["resources", "ec2"]);
    if (r.elbv2) this.elbv2.seed(r.elbv2, ["resources", "elbv2"]);
    if (r.autoscaling) this.autoscaling.seed(r.autoscaling, ["resources", "autoscaling"]);
    if (r.s3) this.s3.seed(r.s3, ["resources", "s3"]);
    if (r.s3control) this.s3control.seed(r.s3control);
    if (r.sns) this.sns.seed(r.sns, ["resources", "sns"]);
    if (r.ssm) this.ssm.seed(r.ssm, ["resources", "ssm"]);
    if (r.guardduty) this.guardduty.seed(r.guardduty, ["resources", "guardduty"], options.event);
  }

  /** Replaces the fault rules (and restarts their PRNG from its seed). */
  setFaults(faults: FaultConfigInput | undefined): void {
    this.faults = new FaultInjector(faults);
  }

  /**
   * For `clientFactory(config, account.configure)`: attaches the simulation to a client, and gives
   * it fixed fake credentials, so that anything that bypasses the middleware (a presigned URL)
   * never looks for real ones.
   */
  readonly configure = (client: AwsClientLike): void => {
    attachSimulation(client, this, this.sdkRetryDelay === undefined ? {} : { sdkRetryDelay: this.sdkRetryDelay });
  };

  /**
   * A ClientProvider whose clients all talk to this account, configured as the Lambda entry point
   * configures its own (its region, standard retries, 3 attempts).
   */
  clientProvider(config: ClientConfig = {}): ClientProvider {
    return clientFactory({ region: this.region, maxAttempts: 3, ...config }, this.configure);
  }

  /** Successful changes, in order: the calls "each change applied exactly once" checks count. */
  mutations(): CallRecord[] {
    return this.calls.filter((c) => c.mutating && c.outcome === "ok" && !c.dryRun);
  }

  callsTo(service: ServiceName, command?: string): CallRecord[] {
    return this.calls.filter((c) => c.service === service && (command === undefined || c.command === command));
  }

  /** A plain JSON view of every resource, for assertions. */
  snapshot() {
    return {
      account: { id: this.accountId, region: this.region },
      ec2: this.ec2.snapshot(),
      iam: this.iam.snapshot(),
      s3: this.s3.snapshot(),
      s3control: this.s3control.snapshot(),
      sns: this.sns.snapshot(),
      ssm: this.ssm.snapshot(),
      guardduty: this.guardduty.snapshot(),
      autoscaling: this.autoscaling.snapshot(),
      elbv2: this.elbv2.snapshot(),
    };
  }

  /** Answers one SDK command: what the middleware calls, with the client's class name and region. */
  async dispatch(clientName: string, commandName: string, input: unknown, clientRegion?: string): Promise<object> {
    const service = CLIENTS[clientName];
    const command = commandName.endsWith("Command") ? commandName.slice(0, -"Command".length) : commandName;
    if (!service) throw new SimulationError(`the simulated account has no model of ${clientName} (${commandName}); it models ${Object.keys(CLIENTS).join(", ")}`);
    const handler: CommandHandler | undefined = this.tables[service][command];
    const dryRun = typeof input === "object" && input !== null && (input as { DryRun?: unknown }).DryRun === true;
    const mutating = handler?.mutating ?? false;
    if (!handler) {
      this.log(service, command, input, dryRun, mutating, "SimulationError");
      throw new SimulationError(`simulated ${service} does not model ${command} (${commandName}); add a handler in workflows/local/simulated-account before a task relies on it`);
    }
    if (clientRegion !== undefined && clientRegion !== this.region && !GLOBAL.has(service)) {
      this.log(service, command, input, dryRun, mutating, "SimulationError");
      throw new SimulationError(`account ${this.accountId} is simulated in ${this.region}; this ${clientName} is configured for ${clientRegion}`);
    }
    const { latencyMs } = this.faults.config;
    if (latencyMs > 0) await this.sleep(latencyMs);
    // Faults are decided before the handler runs: a refused call changes nothing.
    const fault = this.faults.decide(service, command);
    if (fault) {
      const error =
        fault.kind === "throttle"
          ? throttlingError(service)
          : fault.kind === "deny"
            ? accessDeniedError(service, `${service}:${command}`)
            : serviceError(service, fault.error.error, fault.error.message ?? `injected ${fault.error.error}`, fault.error.status);
      this.log(service, command, input, dryRun, mutating, error.name, fault.kind === "error" ? "injected" : fault.kind);
      throw error;
    }
    try {
      const output = await handler.handle(clonePlain(input));
      this.log(service, command, input, dryRun, mutating);
      return clonePlain(output);
    } catch (error) {
      this.log(service, command, input, dryRun, mutating, error instanceof Error ? error.name : String(error));
      throw error;
    }
  }

  /** Appends a call to the log: ok without an error, else with its name (and the fault that raised it, if injected). */
  private log(service: ServiceName, command: string, input: unknown, dryRun: boolean, mutating: boolean, error?: string, fault?: CallRecord["fault"]): void {
    const logged = toLogged(input);
    const seq = this.calls.length + 1;
    this.calls.push(
      error === undefined
        ? { seq, service, command, input: logged, outcome: "ok", dryRun, mutating }
        : { seq, service, command, input: logged, outcome: "error", error, ...(fault !== undefined ? { fault } : {}), dryRun, mutating },
    );
  }
}
