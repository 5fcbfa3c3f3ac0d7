import type {
  DeletePublicAccessBlockCommandInput,
  DeletePublicAccessBlockCommandOutput,
  GetPublicAccessBlockCommandInput,
  GetPublicAccessBlockCommandOutput,
  PutPublicAccessBlockCommandInput,
  PutPublicAccessBlockCommandOutput,
} from "@aws-sdk/client-s3-control";
import * as z from "zod";
import { serviceError } from "./errors.js";
import { read, write, type HandlerTable, type Output } from "./handlers.js";
import type { ModelContext } from "./services.js";

/**
 * S3 Control: the account-level Block Public Access setting, which applies on top of every bucket's
 * own. Absent until set, as in a new account (GetPublicAccessBlock then answers
 * NoSuchPublicAccessBlockConfiguration). Every call names the account and must name this one.
 */

const Block = z.strictObject({
  blockPublicAcls: z.boolean().default(false),
  ignorePublicAcls: z.boolean().default(false),
  blockPublicPolicy: z.boolean().default(false),
  restrictPublicBuckets: z.boolean().default(false),
});
type Block = z.output<typeof Block>;

export const S3ControlResources = z.strictObject({
  /** The account's Block Public Access; absent: none configured. */
  publicAccessBlock: Block.optional(),
});
export type S3ControlResources = z.output<typeof S3ControlResources>;

const controlError = (name: string, message: string, status?: number) => serviceError("s3control", name, message, status);

export class S3ControlModel {
  block: Block | undefined;
  readonly handlers: HandlerTable;

  constructor(private readonly ctx: ModelContext) {
    this.handlers = {
      GetPublicAccessBlock: read((input: GetPublicAccessBlockCommandInput): Output<GetPublicAccessBlockCommandOutput> => {
        this.checkAccount(input.AccountId);
        if (!this.block) throw controlError("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found", 404);
        const b = this.block;
        return { PublicAccessBlockConfiguration: { BlockPublicAcls: b.blockPublicAcls, IgnorePublicAcls: b.ignorePublicAcls, BlockPublicPolicy: b.blockPublicPolicy, RestrictPublicBuckets: b.restrictPublicBuckets } };
      }),
      PutPublicAccessBlock: write((input: PutPublicAccessBlockCommandInput): Output<PutPublicAccessBlockCommandOutput> => {
        this.checkAccount(input.AccountId);
        const c = input.PublicAccessBlockConfiguration ?? {};
        this.block = { blockPublicAcls: c.BlockPublicAcls ?? false, ignorePublicAcls: c.IgnorePublicAcls ?? false, blockPublicPolicy: c.BlockPublicPolicy ?? false, restrictPublicBuckets: c.RestrictPublicBuckets ?? false };
        return {};
      }),
      DeletePublicAccessBlock: write((input: DeletePublicAccessBlockCommandInput): Output<DeletePublicAccessBlockCommandOutput> => {
        this.checkAccount(input.AccountId);
        this.block = undefined;
        return {};
      }),
    };
  }

  private checkAccount(accountId: string | undefined): void {
    if (!accountId || !/^\d{12}$/.test(accountId)) throw controlError("InvalidRequest", "AccountId must be a 12-digit account id");
    if (accountId !== this.ctx.accountId) throw controlError("AccessDenied", `Access Denied for account ${accountId}`, 403);
  }

  seed(resources: S3ControlResources): void {
    this.block = resources.publicAccessBlock ? { ...resources.publicAccessBlock } : undefined;
  }

  snapshot() {
    return { publicAccessBlock: this.block ? { ...this.block } : null };
  }
}
