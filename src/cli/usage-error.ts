import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Bad command-line input: printed as is, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A flag's value, or a UsageError naming it with the command's usage. */
export function required(value: string | undefined, flag: string, usage: string): string {
  if (!value) throw new UsageError(`${flag} is required\nusage: ${usage}`);
  return value;
}

type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true }>>;

/** The id and flags of a command on one restore (`pitr status ID`, ...); a UsageError saying `usage` unless exactly one id is given. */
export function restoreIdArguments<O extends Options>(argv: string[], options: O, usage: string): { id: string; values: Parsed<O>['values'] } {
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
  if (positionals.length !== 1) throw new UsageError(usage);
  return { id: positionals[0]!, values };
}
