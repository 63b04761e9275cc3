/** Bad command-line input: printed as is, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
