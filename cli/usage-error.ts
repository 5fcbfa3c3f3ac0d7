/** A command line the user must correct: printed without a stack, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
