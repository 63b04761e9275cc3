// The pitr CLI: parses the command and hands over to src/cli/<command>.ts.
import { BACKUPS_USAGE, runBackups } from './cli/backups';
import { runCancel } from './cli/cancel';
import { ADVANCE_USAGE, FINISH_USAGE, runAdvance, runFinish } from './cli/held';
import { LIST_USAGE, runList } from './cli/list';
import { PLAN_USAGE, runPlan } from './cli/plan';
import { runRestore, RESTORE_USAGE } from './cli/restore';
import { runResume } from './cli/resume';
import { runStatus } from './cli/status';
import { InvalidTargetError } from './core/recovery-target';
import { UsageError } from './cli/usage-error';
import { terminalSafeMessage } from './core/untrusted-text';

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  restore: runRestore,
  status: runStatus,
  resume: runResume,
  cancel: runCancel,
  backups: runBackups,
  plan: runPlan,
  list: runList,
  advance: runAdvance,
  finish: runFinish,
};

const USAGE = `usage:
  ${RESTORE_USAGE}
  pitr status RESTORE_ID [--json] [--follow]
  pitr resume RESTORE_ID [--force] [--wait] [--json]
                                             run a failed, cancelled or terminated restore again, reusing its work on disk;
                                             --force moves aside what the failed run left in the destination
  pitr cancel RESTORE_ID [--wait] [--json]   stop a running restore and clean its staging area
  ${ADVANCE_USAGE}
  ${FINISH_USAGE}
  ${BACKUPS_USAGE}
  ${PLAN_USAGE}
  ${LIST_USAGE}`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const run = command ? COMMANDS[command] : undefined;
  if (!run) {
    console.error(command && command !== '--help' ? `pitr: unknown command "${command}"\n${USAGE}` : USAGE);
    return command === '--help' ? 0 : 2;
  }
  try {
    return await run(rest);
  } catch (err) {
    if (err instanceof UsageError || err instanceof InvalidTargetError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`pitr: ${terminalSafeMessage((err as Error).message)}`);
      return 2;
    }
    throw err;
  }
}
