/** Bad command-line input: printed as is, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A flag's value, or a UsageError naming it with the command's usage. */
export function required(value: string | undefined, flag: string, usage: string): string {
  if (!value) throw new UsageError(`${flag} is required\nusage: ${usage}`);
  return value;
}
