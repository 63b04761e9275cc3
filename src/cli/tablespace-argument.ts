// --tablespace NAME=DIR as the restore and plan commands take it (repeatable).
import { parseTablespaceOption, tablespaceChoicesProblems, type TablespaceChoice } from '../core/tablespace-locations';
import { UsageError } from './usage-error';

/** The --tablespace values, checked together (each name once, no overlap with each other or --dest); a bad usage (exit 2) otherwise. */
export function tablespaceArguments(values: string[] | undefined, destination: string): TablespaceChoice[] {
  const choices = (values ?? []).map((text) => {
    try {
      return parseTablespaceOption(text);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  });
  const problems = tablespaceChoicesProblems(choices, destination);
  if (problems.length > 0) throw new UsageError(`--tablespace: ${problems.map((p) => p.replace(/^tablespaces(\[\d+\])?: /, '')).join('; ')}`);
  return choices;
}
