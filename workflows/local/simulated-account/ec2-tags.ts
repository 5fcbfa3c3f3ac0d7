import type { CreateTagsCommandInput, CreateTagsCommandOutput, DeleteTagsCommandInput, DeleteTagsCommandOutput, TagSpecification } from "@aws-sdk/client-ec2";
import { dryRunOperation, ec2Error, type Ec2State, invalidParameter } from "./ec2-state.js";
import { write, type HandlerTable, type Output } from "./handlers.js";
import type { TagMap } from "./plain.js";

/** Tags on any EC2 resource: the same limits and reserved prefix EC2 enforces. */

export const MAX_TAGS = 50;

function checkTag(key: string | undefined, value: string | undefined): string {
  if (!key) throw ec2Error("MissingParameter", "The request must contain the parameter Tag.Key");
  if (key.length > 128) throw invalidParameter(`Tag key exceeds the maximum length of 128 characters: ${key.slice(0, 20)}…`);
  if ((value ?? "").length > 256) throw invalidParameter(`Tag value exceeds the maximum length of 256 characters for key ${key}`);
  if (key.toLowerCase().startsWith("aws:")) throw invalidParameter("Tag keys starting with 'aws:' are reserved for internal use");
  return key;
}

/** Applies the tags of a create call, keyed by the resource type they are for. */
export function applyTagSpecifications(specifications: readonly TagSpecification[] | undefined, targets: Readonly<Record<string, TagMap>>, operation: string): void {
  for (const spec of specifications ?? []) {
    const target = targets[spec.ResourceType ?? ""];
    if (!target) throw invalidParameter(`'${spec.ResourceType ?? "(none)"}' is not a valid taggable resource type for this operation (${operation}).`);
    for (const tag of spec.Tags ?? []) target[checkTag(tag.Key, tag.Value)] = tag.Value ?? "";
    if (Object.keys(target).length > MAX_TAGS) throw ec2Error("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.");
  }
}

function createTags(ec2: Ec2State, input: CreateTagsCommandInput): Output<CreateTagsCommandOutput> {
  const resources = input.Resources ?? [];
  if (resources.length === 0) throw ec2Error("MissingParameter", "The request must contain the parameter ResourceId");
  const tags = (input.Tags ?? []).map((t) => ({ key: checkTag(t.Key, t.Value), value: t.Value ?? "" }));
  const targets = resources.map((id) => ec2.taggable(id));
  if (input.DryRun) throw dryRunOperation();
  for (const target of targets) {
    const keys = new Set([...Object.keys(target.tags), ...tags.map((t) => t.key)]);
    if (keys.size > MAX_TAGS) throw ec2Error("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.");
  }
  for (const target of targets) for (const { key, value } of tags) target.tags[key] = value;
  return {};
}

/**
 * A tag named with a value is deleted only while it has that value (an empty value matches only an
 * empty tag); a tag named without one is deleted whatever its value. Missing tags are no error.
 */
function deleteTags(ec2: Ec2State, input: DeleteTagsCommandInput): Output<DeleteTagsCommandOutput> {
  const resources = input.Resources ?? [];
  if (resources.length === 0) throw ec2Error("MissingParameter", "The request must contain the parameter ResourceId");
  const targets = resources.map((id) => ec2.taggable(id));
  for (const tag of input.Tags ?? []) if (tag.Key?.toLowerCase().startsWith("aws:")) throw invalidParameter("Tag keys starting with 'aws:' are reserved for internal use");
  if (input.DryRun) throw dryRunOperation();
  for (const target of targets) {
    if (input.Tags === undefined) {
      for (const key of Object.keys(target.tags)) delete target.tags[key];
      continue;
    }
    for (const tag of input.Tags) {
      if (!tag.Key || !(tag.Key in target.tags)) continue;
      if (tag.Value === undefined || target.tags[tag.Key] === tag.Value) delete target.tags[tag.Key];
    }
  }
  return {};
}

export function tagHandlers(ec2: Ec2State): HandlerTable {
  return {
    CreateTags: write((input: CreateTagsCommandInput) => createTags(ec2, input)),
    DeleteTags: write((input: DeleteTagsCommandInput) => deleteTags(ec2, input)),
  };
}
