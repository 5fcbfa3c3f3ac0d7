import type {
  ArchiveFindingsCommandInput,
  Finding,
  GetFindingsCommandInput,
  GetFindingsCommandOutput,
  ListDetectorsCommandOutput,
  UnarchiveFindingsCommandInput,
  UpdateFindingsFeedbackCommandInput,
} from "@aws-sdk/client-guardduty";
import * as z from "zod";
import { GuardDutyDetectorId, GuardDutyFindingId } from "../../../functions/contract/aws-ids.js";
import { ResourceError, serviceError } from "./errors.js";
import { read, write, type HandlerTable, type Output } from "./handlers.js";
import { clonePlain } from "./plain.js";
import type { ModelContext } from "./services.js";

/** GuardDuty: detectors and their findings, archived or not, with the feedback responders gave. */

/** A finding written as EventBridge delivers it (camelCase detail); `fromEvent` takes the scenario's event. */
const FindingSeed = z.union([
  z.strictObject({ fromEvent: z.literal(true), archived: z.boolean().default(false) }),
  z.looseObject({
    id: GuardDutyFindingId,
    type: z.string().min(3),
    severity: z.number().min(0).max(10),
    archived: z.boolean().default(false),
  }),
]);

export const GuardDutyResources = z.strictObject({
  detectors: z
    .array(
      z.strictObject({
        detectorId: GuardDutyDetectorId,
        status: z.enum(["ENABLED", "DISABLED"]).default("ENABLED"),
        findings: z.array(FindingSeed).default([]),
      }),
    )
    .default([]),
});
export type GuardDutyResources = z.output<typeof GuardDutyResources>;

interface FindingState {
  finding: Record<string, unknown>;
  archived: boolean;
  feedback?: string | undefined;
  comments?: string | undefined;
}

interface DetectorState {
  detectorId: string;
  status: string;
  findings: Map<string, FindingState>;
}

const badRequest = (message: string) => serviceError("guardduty", "BadRequestException", message);

/** GuardDuty's JSON is camelCase on the wire (and in EventBridge); the SDK hands it out PascalCase. */
function pascal(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(pascal);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), pascal(v)]));
}

export class GuardDutyModel {
  readonly detectors = new Map<string, DetectorState>();
  readonly handlers: HandlerTable;

  constructor(private readonly ctx: ModelContext) {
    this.handlers = {
      ListDetectors: read((): Output<ListDetectorsCommandOutput> => ({ DetectorIds: [...this.detectors.keys()] })),
      GetFindings: read((input: GetFindingsCommandInput): Output<GetFindingsCommandOutput> => {
        const detector = this.detector(input.DetectorId);
        const ids = this.ids(input.FindingIds);
        return { Findings: ids.flatMap((id) => (detector.findings.has(id) ? [this.sdkFinding(detector.findings.get(id)!)] : [])) };
      }),
      ArchiveFindings: write((input: ArchiveFindingsCommandInput) => this.setArchived(input, true)),
      UnarchiveFindings: write((input: UnarchiveFindingsCommandInput) => this.setArchived(input, false)),
      UpdateFindingsFeedback: write((input: UpdateFindingsFeedbackCommandInput) => {
        const detector = this.detector(input.DetectorId);
        const findings = this.existing(detector, input.FindingIds);
        if (input.Feedback !== "USEFUL" && input.Feedback !== "NOT_USEFUL") throw badRequest("The request is rejected because an invalid or out-of-range value is specified as an input parameter.");
        if ((input.Comments ?? "").length > 1000) throw badRequest("The request is rejected because the comments are too long.");
        for (const f of findings) {
          f.feedback = input.Feedback;
          f.comments = input.Comments;
        }
        return {};
      }),
    };
  }

  seed(resources: GuardDutyResources, path: readonly (string | number)[], event: unknown): void {
    resources.detectors.forEach((d, i) => {
      if (this.detectors.has(d.detectorId)) throw new ResourceError([...path, "detectors", i, "detectorId"], `${d.detectorId} is declared twice`);
      const detector: DetectorState = { detectorId: d.detectorId, status: d.status, findings: new Map() };
      d.findings.forEach((seed, j) => {
        const where = [...path, "detectors", i, "findings", j];
        let detail: Record<string, unknown>;
        if ("fromEvent" in seed) {
          const envelope = event as { source?: unknown; detail?: unknown } | undefined;
          if (envelope?.source !== "aws.guardduty" || typeof envelope.detail !== "object" || envelope.detail === null) throw new ResourceError(where, "the scenario's event is not a GuardDuty finding");
          detail = { ...(envelope.detail as Record<string, unknown>) };
          const service = (detail.service ?? {}) as Record<string, unknown>;
          if (service.detectorId !== d.detectorId) throw new ResourceError(where, `the event's finding belongs to detector ${String(service.detectorId)}, not ${d.detectorId}`);
        } else {
          const { archived: _archived, ...rest } = seed;
          detail = { accountId: this.ctx.accountId, region: this.ctx.region, partition: "aws", schemaVersion: "2.0", ...rest, service: { serviceName: "guardduty", detectorId: d.detectorId, ...((rest.service) ?? {}) } };
        }
        const id = String(detail.id);
        if (detector.findings.has(id)) throw new ResourceError(where, `finding ${id} is declared twice`);
        detector.findings.set(id, { finding: pascal(detail) as Record<string, unknown>, archived: seed.archived });
      });
      this.detectors.set(d.detectorId, detector);
    });
  }

  private detector(id: string | undefined): DetectorState {
    const detector = id === undefined ? undefined : this.detectors.get(id);
    if (!detector) throw badRequest("The request is rejected because the input detectorId is not owned by the current account.");
    return detector;
  }

  private ids(ids: readonly string[] | undefined): string[] {
    if (!ids || ids.length === 0 || ids.length > 50) throw badRequest("The request is rejected because an invalid or out-of-range value is specified as an input parameter.");
    return [...ids];
  }

  private existing(detector: DetectorState, ids: readonly string[] | undefined): FindingState[] {
    return this.ids(ids).map((id) => {
      const f = detector.findings.get(id);
      if (!f) throw badRequest("The request is rejected because the input findingIds are not valid.");
      return f;
    });
  }

  private setArchived(input: { DetectorId?: string | undefined; FindingIds?: string[] | undefined }, archived: boolean): object {
    const findings = this.existing(this.detector(input.DetectorId), input.FindingIds);
    for (const f of findings) f.archived = archived;
    return {};
  }

  private sdkFinding(state: FindingState): Finding {
    const finding = clonePlain(state.finding);
    const service = (finding.Service ?? {}) as Record<string, unknown>;
    finding.Service = { ...service, Archived: state.archived, ...(state.feedback ? { UserFeedback: state.feedback } : {}) };
    // Built from a GuardDuty finding (the event's detail), PascalCased as the SDK delivers it.
    return finding as unknown as Finding;
  }

  snapshot() {
    return {
      detectors: Object.fromEntries(
        [...this.detectors.values()].map((d) => [
          d.detectorId,
          {
            status: d.status,
            findings: Object.fromEntries(
              [...d.findings.entries()].map(([id, f]) => [id, { type: f.finding.Type, severity: f.finding.Severity, archived: f.archived, feedback: f.feedback ?? null, comments: f.comments ?? null }]),
            ),
          },
        ]),
      ),
    };
  }
}
