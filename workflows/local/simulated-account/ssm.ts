import type {
  Command,
  DescribeInstanceInformationCommandInput,
  DescribeInstanceInformationCommandOutput,
  GetCommandInvocationCommandInput,
  GetCommandInvocationCommandOutput,
  ListCommandsCommandInput,
  ListCommandsCommandOutput,
  SendCommandCommandInput,
  SendCommandCommandOutput,
} from "@aws-sdk/client-ssm";
import * as z from "zod";
import { InstanceId } from "../../../functions/contract/aws-ids.js";
import { ResourceError, serviceError, SimulationError } from "./errors.js";
import { read, write, type HandlerTable, type Output } from "./handlers.js";
import { SeededRandom, seedOf } from "./random.js";
import { sha256Base64 } from "./s3.js";
import type { ModelContext } from "./services.js";

/**
 * Systems Manager: managed instances whose agent must reach the SSM endpoints, documents, and Run
 * Command invocations that finish after some polls. A memory-capture document behaves as the real
 * one does: the agent uploads the image through the presigned URL it was given, and S3 checks the
 * URL (signature present, not expired) as S3 would.
 */

const CaptureBehaviour = z.strictObject({
  outcome: z.enum(["Success", "Failed", "TimedOut"]).default("Success"),
  /** GetCommandInvocation calls answering InvocationDoesNotExist right after SendCommand. */
  registerAfterPolls: z.number().int().min(0).max(10).default(0),
  /** GetCommandInvocation calls (after registration) until the command ends. */
  completeAfterPolls: z.number().int().min(1).max(100).default(2),
  sizeBytes: z.number().int().min(1).max(64 * 1024 * 1024).default(256 * 1024),
  /** The agent's upload sends x-amz-checksum-sha256 (S3 then keeps the object's SHA-256), or no checksum. */
  checksum: z.enum(["sha256", "none"]).default("sha256"),
  stderr: z.string().max(8000).default(""),
});

export const SsmResources = z.strictObject({
  documents: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[\w.-]{3,128}$/),
        /** memory-capture: uploads an image to the `uploadUrl` parameter; shell: runs and succeeds. */
        kind: z.enum(["memory-capture", "shell"]).default("shell"),
      }),
    )
    .default([]),
  managedInstances: z
    .array(
      z.strictObject({
        instanceId: InstanceId,
        pingStatus: z.enum(["Online", "ConnectionLost", "Inactive"]).default("Online"),
        platformType: z.enum(["Linux", "Windows", "MacOS"]).default("Linux"),
        platformName: z.string().default("Amazon Linux"),
        agentVersion: z.string().default("3.3.1142.0"),
        /**
         * The agent reaches ssm, ssmmessages and ec2messages over HTTPS through the instance's security
         * groups: their interface endpoints when the VPC has them (egress 443 to the endpoint, whose
         * own groups must let the instance in), else the internet. Without a path it is ConnectionLost;
         * the capture's upload likewise needs a path to S3 (gateway endpoint prefix list, or the internet).
         */
        needsEgress443: z.boolean().default(true),
        capture: CaptureBehaviour.default(CaptureBehaviour.parse({})),
      }),
    )
    .default([]),
});
export type SsmResources = z.output<typeof SsmResources>;

type CaptureConfig = z.output<typeof CaptureBehaviour>;

interface ManagedInstance {
  instanceId: string;
  pingStatus: string;
  platformType: string;
  platformName: string;
  agentVersion: string;
  needsEgress443: boolean;
  capture: CaptureConfig;
}

interface Invocation {
  instanceId: string;
  polls: number;
  status: "Pending" | "InProgress" | "Success" | "Failed" | "TimedOut" | "Cancelled";
  responseCode: number;
  stdout: string;
  stderr: string;
  startedAt?: Date | undefined;
  endedAt?: Date | undefined;
  upload?: { bucket: string; key: string; sizeBytes: number; versionId: string } | undefined;
}

interface CommandState {
  commandId: string;
  documentName: string;
  comment: string;
  parameters: Record<string, string[]>;
  requestedAt: Date;
  timeoutSeconds: number;
  invocations: Map<string, Invocation>;
}

const ssmError = (name: string, message: string) => serviceError("ssm", name, message);
/** What the agent talks to for Run Command, each over HTTPS (through a VPC endpoint when there is one). */
const AGENT_SERVICES = ["ssm", "ssmmessages", "ec2messages"] as const;
const CAPTURE_PARAMETERS = new Set(["uploadUrl", "evidenceLocation", "executionTimeout"]);

export class SsmModel {
  readonly managed = new Map<string, ManagedInstance>();
  readonly documents = new Map<string, "memory-capture" | "shell">([["AWS-RunShellScript", "shell"]]);
  readonly commands = new Map<string, CommandState>();
  readonly handlers: HandlerTable;

  constructor(private readonly ctx: ModelContext) {
    this.handlers = {
      DescribeInstanceInformation: read((input: DescribeInstanceInformationCommandInput) => this.describeInstanceInformation(input)),
      SendCommand: write((input: SendCommandCommandInput) => this.sendCommand(input)),
      ListCommands: read((input: ListCommandsCommandInput) => this.listCommands(input)),
      // Each poll is time passing for the invocation (and may run the agent's upload), not a change a task makes.
      GetCommandInvocation: read((input: GetCommandInvocationCommandInput) => this.getCommandInvocation(input)),
    };
  }

  seed(resources: SsmResources, path: readonly (string | number)[]): void {
    for (const d of resources.documents) this.documents.set(d.name, d.kind);
    resources.managedInstances.forEach((m, i) => {
      if (!this.ctx.services().ec2.state.instances.has(m.instanceId)) throw new ResourceError([...path, "managedInstances", i, "instanceId"], `${m.instanceId} is not declared in ec2.instances`);
      if (this.managed.has(m.instanceId)) throw new ResourceError([...path, "managedInstances", i, "instanceId"], `${m.instanceId} is declared twice`);
      this.managed.set(m.instanceId, { ...m });
    });
  }

  /** The agent's state as SSM sees it now: offline when the instance is not running or cannot reach SSM. */
  pingStatus(instanceId: string): string {
    const managed = this.managed.get(instanceId);
    if (!managed) return "Inactive";
    const ec2 = this.ctx.services().ec2.state;
    const instance = ec2.instances.get(instanceId);
    if (!instance || instance.state !== "running") return "ConnectionLost";
    if (managed.needsEgress443 && !AGENT_SERVICES.every((service) => this.ctx.services().ec2.endpoints.reaches(instance, service))) return "ConnectionLost";
    return managed.pingStatus;
  }

  private describeInstanceInformation(input: DescribeInstanceInformationCommandInput): Output<DescribeInstanceInformationCommandOutput> {
    const filters = [...(input.Filters ?? []).map((f) => ({ key: f.Key ?? "", values: f.Values ?? [] })), ...(input.InstanceInformationFilterList ?? []).map((f) => ({ key: f.key ?? "", values: f.valueSet ?? [] }))];
    const known: Readonly<Record<string, (m: ManagedInstance) => string>> = {
      InstanceIds: (m) => m.instanceId,
      PingStatus: (m) => this.pingStatus(m.instanceId),
      PlatformTypes: (m) => m.platformType,
      ResourceType: () => "EC2Instance",
      AgentVersion: (m) => m.agentVersion,
    };
    for (const f of filters) if (!known[f.key]) throw ssmError("InvalidInstanceInformationFilterValue", `The filter key ${f.key} is not valid`);
    const list = [...this.managed.values()].filter((m) => filters.every((f) => f.values.includes(known[f.key]!(m))));
    return {
      InstanceInformationList: list.map((m) => ({
        InstanceId: m.instanceId,
        PingStatus: this.pingStatus(m.instanceId) as "Online",
        LastPingDateTime: new Date(this.ctx.now().getTime() - 60_000),
        AgentVersion: m.agentVersion,
        IsLatestVersion: true,
        PlatformType: m.platformType as "Linux",
        PlatformName: m.platformName,
        ResourceType: "EC2Instance",
        IPAddress: this.ctx.services().ec2.state.primaryEni(this.ctx.services().ec2.state.instances.get(m.instanceId)!)?.privateIp,
        ComputerName: `ip-${m.instanceId.slice(2, 10)}.ec2.internal`,
      })),
    };
  }

  private sendCommand(input: SendCommandCommandInput): Output<SendCommandCommandOutput> {
    if (input.Targets !== undefined) throw new SimulationError("simulated SSM models SendCommand with InstanceIds only");
    const instanceIds = input.InstanceIds ?? [];
    if (instanceIds.length === 0) throw ssmError("InvalidInstanceId", "No instance ids were given");
    const kind = this.documents.get(input.DocumentName ?? "");
    if (!kind) throw ssmError("InvalidDocument", `Document with name ${input.DocumentName ?? ""} does not exist in account ${this.ctx.accountId}.`);
    if ((input.Comment ?? "").length > 100) throw ssmError("ValidationException", "1 validation error detected: Value at 'comment' failed to satisfy constraint: Member must have length less than or equal to 100");
    const timeoutSeconds = input.TimeoutSeconds ?? 3600;
    if (timeoutSeconds < 30 || timeoutSeconds > 2_592_000) throw ssmError("ValidationException", "1 validation error detected: Value at 'timeoutSeconds' failed to satisfy constraint");
    const parameters = input.Parameters ?? {};
    if (kind === "memory-capture") {
      const unknown = Object.keys(parameters).filter((p) => !CAPTURE_PARAMETERS.has(p));
      if (unknown.length > 0 || !parameters.uploadUrl?.[0]) throw ssmError("InvalidParameters", unknown.length > 0 ? `Parameter "${unknown[0]!}" is not defined in the document.` : "Parameter uploadUrl is required.");
    }
    const offline = instanceIds.filter((id) => this.pingStatus(id) !== "Online");
    if (offline.length > 0) throw ssmError("InvalidInstanceId", `Instances [[${offline.join(", ")}]] not in a valid state for account ${this.ctx.accountId}`);
    const command: CommandState = {
      commandId: this.ctx.ids.uuid(),
      documentName: input.DocumentName!,
      comment: input.Comment ?? "",
      parameters: Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, [...v]])),
      requestedAt: this.ctx.now(),
      timeoutSeconds,
      invocations: new Map(instanceIds.map((id) => [id, { instanceId: id, polls: 0, status: "Pending" as const, responseCode: -1, stdout: "", stderr: "" }])),
    };
    this.commands.set(command.commandId, command);
    return { Command: this.sdkCommand(command) };
  }

  private commandStatus(command: CommandState): Command["Status"] {
    const invocations = [...command.invocations.values()];
    if (invocations.some((i) => i.status === "InProgress")) return "InProgress";
    if (invocations.every((i) => i.status === "Success")) return "Success";
    if (invocations.some((i) => i.status === "Pending")) return invocations.some((i) => i.status !== "Pending") ? "InProgress" : "Pending";
    if (invocations.some((i) => i.status === "TimedOut")) return "TimedOut";
    return "Failed";
  }

  private sdkCommand(command: CommandState): Command {
    const invocations = [...command.invocations.values()];
    return {
      CommandId: command.commandId,
      DocumentName: command.documentName,
      DocumentVersion: "$DEFAULT",
      Comment: command.comment,
      Parameters: Object.fromEntries(Object.entries(command.parameters).map(([k, v]) => [k, [...v]])),
      InstanceIds: invocations.map((i) => i.instanceId),
      RequestedDateTime: new Date(command.requestedAt),
      Status: this.commandStatus(command),
      StatusDetails: this.commandStatus(command),
      TargetCount: invocations.length,
      CompletedCount: invocations.filter((i) => !["Pending", "InProgress"].includes(i.status)).length,
      ErrorCount: invocations.filter((i) => i.status === "Failed" || i.status === "TimedOut").length,
      TimeoutSeconds: command.timeoutSeconds,
    };
  }

  private listCommands(input: ListCommandsCommandInput): Output<ListCommandsCommandOutput> {
    if (input.InstanceId !== undefined && !this.managed.has(input.InstanceId)) throw ssmError("InvalidInstanceId", `Instance ${input.InstanceId} is not a managed instance`);
    const max = input.MaxResults ?? 50;
    if (max < 1 || max > 50) throw ssmError("ValidationException", "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 50");
    let list = [...this.commands.values()].filter((c) => (input.CommandId === undefined || c.commandId === input.CommandId) && (input.InstanceId === undefined || c.invocations.has(input.InstanceId)));
    for (const f of input.Filters ?? []) {
      if (f.key === "DocumentName") list = list.filter((c) => c.documentName === f.value);
      else if (f.key === "Status") list = list.filter((c) => this.commandStatus(c) === f.value);
      else throw new SimulationError(`simulated SSM does not model the ListCommands filter ${String(f.key)}`);
    }
    list.sort((a, b) => b.requestedAt.getTime() - a.requestedAt.getTime());
    const offset = input.NextToken ? Number(Buffer.from(input.NextToken, "base64").toString("utf8").replace(/^ssm:/, "")) : 0;
    if (Number.isNaN(offset)) throw ssmError("InvalidNextToken", "The specified token is not valid.");
    const page = list.slice(offset, offset + max);
    const next = offset + max < list.length ? Buffer.from(`ssm:${offset + max}`).toString("base64") : undefined;
    return { Commands: page.map((c) => this.sdkCommand(c)), ...(next ? { NextToken: next } : {}) };
  }

  private getCommandInvocation(input: GetCommandInvocationCommandInput): Output<GetCommandInvocationCommandOutput> {
    const command = this.commands.get(input.CommandId ?? "");
    const invocation = command?.invocations.get(input.InstanceId ?? "");
    if (!command || !invocation) throw ssmError("InvocationDoesNotExist", "An error occurred (InvocationDoesNotExist) when calling the GetCommandInvocation operation");
    const behaviour = this.managed.get(invocation.instanceId)?.capture ?? CaptureBehaviour.parse({});
    invocation.polls += 1;
    if (invocation.polls <= behaviour.registerAfterPolls) throw ssmError("InvocationDoesNotExist", "An error occurred (InvocationDoesNotExist) when calling the GetCommandInvocation operation");
    const seen = invocation.polls - behaviour.registerAfterPolls;
    if (invocation.status === "Pending" || invocation.status === "InProgress") {
      invocation.startedAt ??= this.ctx.now();
      if (seen >= behaviour.completeAfterPolls) this.finish(command, invocation, behaviour);
      else invocation.status = "InProgress";
    }
    const ended = !["Pending", "InProgress"].includes(invocation.status);
    return {
      CommandId: command.commandId,
      InstanceId: invocation.instanceId,
      Comment: command.comment,
      DocumentName: command.documentName,
      DocumentVersion: "$DEFAULT",
      PluginName: "aws:runShellScript",
      Status: invocation.status,
      StatusDetails: invocation.status,
      ResponseCode: invocation.responseCode,
      ExecutionStartDateTime: invocation.startedAt?.toISOString() ?? "",
      ExecutionElapsedTime: ended && invocation.startedAt && invocation.endedAt ? `PT${Math.round((invocation.endedAt.getTime() - invocation.startedAt.getTime()) / 1000)}S` : "",
      ExecutionEndDateTime: invocation.endedAt?.toISOString() ?? "",
      StandardOutputContent: invocation.stdout,
      StandardErrorContent: invocation.stderr,
    };
  }

  /** The command ends: for a memory capture, the agent uploads the image through the presigned URL. */
  private finish(command: CommandState, invocation: Invocation, behaviour: CaptureConfig): void {
    invocation.endedAt = this.ctx.now();
    if (behaviour.outcome === "TimedOut") {
      Object.assign(invocation, { status: "TimedOut", responseCode: -1, stderr: "command timed out" });
      return;
    }
    if (behaviour.outcome === "Failed") {
      Object.assign(invocation, { status: "Failed", responseCode: 1, stderr: behaviour.stderr || "insmod: ERROR: could not insert module lime.ko: Operation not permitted" });
      return;
    }
    if (this.documents.get(command.documentName) !== "memory-capture") {
      Object.assign(invocation, { status: "Success", responseCode: 0 });
      return;
    }
    const instance = this.ctx.services().ec2.state.instances.get(invocation.instanceId);
    if (this.managed.get(invocation.instanceId)?.needsEgress443 && instance && !this.ctx.services().ec2.endpoints.reaches(instance, "s3")) {
      Object.assign(invocation, { status: "Failed", responseCode: 28, stderr: "upload to S3 failed: curl: (28) Failed to connect to S3 port 443: Connection timed out" });
      return;
    }
    const result = this.upload(command, invocation.instanceId, behaviour);
    if ("error" in result) Object.assign(invocation, { status: "Failed", responseCode: 22, stderr: `upload to S3 failed: ${result.error}` });
    else Object.assign(invocation, { status: "Success", responseCode: 0, stdout: `captured ${behaviour.sizeBytes} bytes of memory; uploaded`, upload: result });
  }

  private upload(command: CommandState, instanceId: string, behaviour: CaptureConfig): { bucket: string; key: string; sizeBytes: number; versionId: string } | { error: string } {
    let url: URL;
    try {
      url = new URL(command.parameters.uploadUrl?.[0] ?? "");
    } catch {
      return { error: "curl: (3) URL rejected: Malformed input to a URL function" };
    }
    const virtual = /^([a-z0-9][a-z0-9.-]*[a-z0-9])\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com$/.exec(url.hostname);
    const pathStyle = /^s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com$/.test(url.hostname);
    const segments = url.pathname.split("/").slice(1).map(decodeURIComponent);
    const bucketName = virtual ? virtual[1]! : pathStyle ? segments.shift() : undefined;
    const key = segments.join("/");
    if (!bucketName || !key) return { error: `HTTP 400 InvalidRequest: ${url.hostname}${url.pathname} names no bucket and key` };
    const q = url.searchParams;
    if (!q.get("X-Amz-Signature") || !q.get("X-Amz-Credential")) return { error: "HTTP 403 AccessDenied: Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters" };
    const signedAt = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(q.get("X-Amz-Date") ?? "");
    const expires = Number(q.get("X-Amz-Expires"));
    if (!signedAt || !Number.isFinite(expires)) return { error: "HTTP 403 AccessDenied: X-Amz-Date and X-Amz-Expires are required" };
    const start = Date.UTC(Number(signedAt[1]), Number(signedAt[2]) - 1, Number(signedAt[3]), Number(signedAt[4]), Number(signedAt[5]), Number(signedAt[6]));
    if (this.ctx.now().getTime() > start + expires * 1000) return { error: "HTTP 403 AccessDenied: Request has expired" };
    const s3 = this.ctx.services().s3;
    const bucket = s3.buckets.get(bucketName);
    if (!bucket) return { error: "HTTP 404 NoSuchBucket: The specified bucket does not exist" };
    const body = new SeededRandom(seedOf(`${command.commandId}/${instanceId}`)).bytes(behaviour.sizeBytes);
    // S3 ignores checksum parameters in a presigned URL's query (the SDK signs the CRC32 of an empty
    // body into one by default): the upload is stored whatever they say.
    const version = s3.store(bucket, key, body, "application/octet-stream", behaviour.checksum === "sha256" ? { sha256: sha256Base64(body) } : {});
    return { bucket: bucketName, key, sizeBytes: body.byteLength, versionId: version.versionId };
  }

  snapshot() {
    return {
      documents: Object.fromEntries(this.documents.entries()),
      managedInstances: Object.fromEntries([...this.managed.values()].map((m) => [m.instanceId, { pingStatus: this.pingStatus(m.instanceId), platformType: m.platformType }])),
      commands: Object.fromEntries(
        [...this.commands.values()].map((c) => [
          c.commandId,
          {
            documentName: c.documentName,
            comment: c.comment,
            status: this.commandStatus(c),
            requestedAt: c.requestedAt.toISOString(),
            invocations: Object.fromEntries(
              [...c.invocations.values()].map((i) => [i.instanceId, { status: i.status, responseCode: i.responseCode, polls: i.polls, ...(i.stderr ? { stderr: i.stderr } : {}), ...(i.upload ? { upload: { ...i.upload } } : {}) }]),
            ),
          },
        ]),
      ),
    };
  }
}
