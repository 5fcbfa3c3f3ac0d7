import * as z from "zod";
import { SERVICES, type ServiceName } from "./errors.js";
import { SeededRandom } from "./random.js";

/**
 * `service` ("ec2") or `service:Command` ("ec2:CreateTags", the IAM action style). The service
 * names are the simulated account's: ec2, iam, s3, sns, ssm, guardduty, autoscaling, elbv2.
 */
const CallPattern = z
  .string()
  .regex(new RegExp(`^(?:${SERVICES.join("|")})(?::[A-Z][A-Za-z0-9]+)?$`), `must be a service (${SERVICES.join(", ")}) or service:Command, e.g. ec2:CreateTags`);

export const InjectedError = z.strictObject({
  /** Which call fails: service:Command. */
  call: CallPattern,
  /** The error name as the SDK raises it (InternalError, ServiceUnavailable, InvalidParameterValue, …). */
  error: z.string().regex(/^[A-Za-z][A-Za-z0-9.]*$/),
  status: z.number().int().min(400).max(599).optional(),
  message: z.string().optional(),
  /** Matching calls that succeed before the first failure. */
  after: z.number().int().min(0).default(0),
  /** How many matching calls fail (then they succeed again). */
  times: z.number().int().min(1).default(1),
});

export const FaultConfig = z.strictObject({
  /** Seeds the PRNG that decides which calls are throttled: the same seed throttles the same calls. */
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
  /** Share of calls refused with the service's throttling error, before anything changes. */
  throttleRate: z.number().min(0).max(1).default(0),
  /** Limits throttling to these services or calls; every call when absent. */
  throttle: z.array(CallPattern).optional(),
  /** Added to every call, through the account's sleep. */
  latencyMs: z.number().int().min(0).max(600_000).default(0),
  /** Calls the task's role may not make: answered with the service's access-denied error. */
  deny: z.array(CallPattern).default([]),
  /** Scripted failures: the nth matching call fails with this error. */
  errors: z.array(InjectedError).default([]),
});
export type FaultConfig = z.output<typeof FaultConfig>;
export type FaultConfigInput = z.input<typeof FaultConfig>;

export type FaultDecision = { kind: "deny" } | { kind: "throttle" } | { kind: "error"; error: z.output<typeof InjectedError> } | undefined;

const matches = (pattern: string, service: ServiceName, command: string) => pattern === service || pattern === `${service}:${command}`;

/** Decides, call by call and in order, which calls fail; one PRNG draw per call that may be throttled. */
export class FaultInjector {
  readonly config: FaultConfig;
  private readonly random: SeededRandom;
  private readonly seen = new Map<number, number>();

  constructor(config: FaultConfigInput = {}) {
    this.config = FaultConfig.parse(config);
    this.random = new SeededRandom(this.config.seed);
  }

  decide(service: ServiceName, command: string): FaultDecision {
    if (this.config.deny.some((p) => matches(p, service, command))) return { kind: "deny" };
    for (const [index, rule] of this.config.errors.entries()) {
      if (!matches(rule.call, service, command)) continue;
      const count = (this.seen.get(index) ?? 0) + 1;
      this.seen.set(index, count);
      if (count > rule.after && count <= rule.after + rule.times) return { kind: "error", error: rule };
    }
    const { throttleRate, throttle } = this.config;
    if (throttleRate > 0 && (!throttle || throttle.some((p) => matches(p, service, command)))) {
      if (this.random.next() < throttleRate) return { kind: "throttle" };
    }
    return undefined;
  }
}
