import { NetworkInterfaceId, SecurityGroupId } from "../contract/aws-ids.js";

/**
 * The instance tags that record an isolation: which groups each interface had before it
 * (`irflow:isolated-from`) and which incident isolated it (`irflow:isolated-by`). Kept on the
 * instance itself so that a second isolation, by another incident, still knows the true originals
 * instead of recording the quarantine group as "original".
 *
 * Format: `eni-…=sg-…+sg-…/eni-…=sg-…` (no spaces, which a split into chunks could leave at an
 * edge). A tag value holds 256 characters; an interface with many groups overflows it, so the
 * text continues in `irflow:isolated-from:2`, `:3`, ….
 */
export const ISOLATED_FROM = "irflow:isolated-from";
export const ISOLATED_BY = "irflow:isolated-by";
const MAX_VALUE = 256;
const MAX_CHUNKS = 20;

export type GroupsByInterface = Readonly<Record<string, readonly string[]>>;

const chunkKey = (index: number) => (index === 0 ? ISOLATED_FROM : `${ISOLATED_FROM}:${index + 1}`);

export function encodeIsolatedFrom(groups: GroupsByInterface): Record<string, string> {
  const text = Object.entries(groups)
    .map(([eni, ids]) => `${eni}=${ids.join("+")}`)
    .join("/");
  const tags: Record<string, string> = {};
  for (let index = 0; index * MAX_VALUE < text.length; index += 1) tags[chunkKey(index)] = text.slice(index * MAX_VALUE, (index + 1) * MAX_VALUE);
  return tags;
}

/** The record, or undefined when there is none or it does not parse (then it is not trusted). */
export function decodeIsolatedFrom(tags: Readonly<Record<string, string>>): GroupsByInterface | undefined {
  let text = "";
  for (let index = 0; index < MAX_CHUNKS && tags[chunkKey(index)] !== undefined; index += 1) text += tags[chunkKey(index)];
  if (text === "") return undefined;
  const groups: Record<string, string[]> = {};
  for (const entry of text.split("/")) {
    const [eni, list] = entry.split("=");
    const ids = (list ?? "").split("+");
    if (!NetworkInterfaceId.safeParse(eni).success || ids.length === 0 || !ids.every((id) => SecurityGroupId.safeParse(id).success)) return undefined;
    groups[eni!] = ids;
  }
  return groups;
}

/** Every isolation tag key present on the instance (for removal, or to drop stale continuation chunks). */
export function isolationTagKeys(tags: Readonly<Record<string, string>>): string[] {
  return Object.keys(tags).filter((key) => key === ISOLATED_BY || key === ISOLATED_FROM || key.startsWith(`${ISOLATED_FROM}:`));
}
