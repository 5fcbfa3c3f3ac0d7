import { createRequire } from "node:module";
import type { StateMachine } from "./asl.js";

interface AslValidatorResult {
  isValid: boolean;
  errors: { "Error code": string; Message: string }[];
}
type AslValidator = (definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }) => AslValidatorResult;

// asl-validator ships CommonJS without type declarations.
const validate = createRequire(import.meta.url)("asl-validator") as AslValidator;

/** Runs asl-validator (schema, transitions, paths) on a copy: the validator mutates its input. */
export function validateAsl(definition: StateMachine): string[] {
  const result = validate(structuredClone(definition), { checkPaths: true, checkArn: true });
  return result.isValid ? [] : result.errors.map((error) => `${error["Error code"]}: ${error.Message}`);
}
