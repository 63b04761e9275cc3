// A held restore (pitr restore --hold): PostgreSQL runs paused at the target until the user decides. What an
// advance may ask (replay only goes forward: PostgreSQL cannot un-replay a record, so an earlier point needs a
// new restore), the recovery settings that move the target, and how to reach the held server.
// Pure: no I/O, no Node builtins (the workflow bundle imports it).
import type { HeldServer, RestorePlan, VerifyResult } from '../shared';
import { describeTarget, unknownKind, type RecoveryTarget } from './recovery-target';
import { toBarmanTime } from './timestamp';
import { parseLsn } from './wal-names';

/** Where a held restore stands: the target it reached and where replay proved to stop. */
export interface HeldPosition {
  target: RecoveryTarget;
  verify: Pick<VerifyResult, 'stoppedAt' | 'lastReplayedCommit'>;
}

const GO_BACK =
  'replay only goes forward from where it paused; to look at an earlier point, restore it into another destination with pitr restore (the held restore stays as it is)';

/**
 * Why `next` cannot be reached by replaying on from `held`, or null when nothing in the held state refuses it
 * (xid and restore point targets are located by the plan: `stopRefusal` then compares their stop positions).
 */
export function advanceRefusal(held: HeldPosition, next: RecoveryTarget): string | null {
  const { stoppedAt, lastReplayedCommit } = held.verify;
  switch (next.kind) {
    case 'immediate':
      return `the end of the backup (immediate) is the earliest point a restore reaches, before where replay stopped (${stoppedAt.description}): ${GO_BACK}`;
    case 'time':
      if (held.target.kind === 'time' && next.utc <= held.target.utc) {
        return `target time ${next.utc} is not later than the held target ${held.target.utc}: ${GO_BACK}`;
      }
      if (lastReplayedCommit !== null && next.utc < lastReplayedCommit) {
        return `target time ${next.utc} is earlier than the last commit replayed (${lastReplayedCommit}): ${GO_BACK}`;
      }
      return null;
    case 'lsn':
      if (stoppedAt.lsn !== null && parseLsn(next.lsn) <= parseLsn(stoppedAt.lsn)) {
        return `LSN ${next.lsn} is not after where replay stopped (${stoppedAt.lsn}): ${GO_BACK}`;
      }
      return null;
    case 'xid':
    case 'name':
      return null;
    default: {
      const unchecked: never = next;
      void unchecked;
      return 'the advance has no recovery target';
    }
  }
}

/** Why the plan of an advance to `next` cannot be replayed on from the held plan, or null. */
export function stopRefusal(held: Pick<RestorePlan, 'stopLsn' | 'targetTimeline'>, next: Pick<RestorePlan, 'stopLsn' | 'targetTimeline'>, target: RecoveryTarget): string | null {
  if (next.targetTimeline !== held.targetTimeline) {
    return `${describeTarget(target)} is on timeline ${next.targetTimeline}, the held restore follows timeline ${held.targetTimeline}: an advance stays on the held restore's timeline path; restore the other timeline into another destination with pitr restore --target-tli ${next.targetTimeline}`;
  }
  if (parseLsn(next.stopLsn) < parseLsn(held.stopLsn)) {
    return `${describeTarget(target)} is at ${next.stopLsn}, before where replay stopped (${held.stopLsn}): ${GO_BACK}`;
  }
  return null;
}

/** The settings of postgresql.auto.conf that set a target; advancing replaces all of them (recovery_target_timeline and _action stay). */
const TARGET_SETTING = /^\s*recovery_target(_time|_lsn|_xid|_name|_inclusive)?\s*=/;
const ADVANCE_COMMENT = '# pitr advance: ';

/** The recovery settings PostgreSQL reads for `target`, as Barman writes them for the same target (`barman recover --target-*`). */
export function recoveryTargetSettings(target: RecoveryTarget): [name: string, value: string][] {
  switch (target.kind) {
    case 'time':
      return [['recovery_target_time', toBarmanTime(target.utc)]];
    case 'lsn':
      return [['recovery_target_lsn', target.lsn]];
    case 'xid':
      return [['recovery_target_xid', target.xid]];
    case 'name':
      return [['recovery_target_name', target.name]];
    case 'immediate':
      return [['recovery_target', 'immediate']];
    default:
      return unknownKind(target);
  }
}

/**
 * A value as a postgresql.conf string: single-quoted, a quote doubled and a backslash escaped (the configuration
 * file syntax, https://www.postgresql.org/docs/current/config-setting.html#CONFIG-SETTING-CONFIGURATION-FILE).
 */
export function configString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/**
 * postgresql.auto.conf with its recovery target moved to `target`: every line setting a target goes, the new
 * setting is appended with a comment saying who wrote it. The rest (restore_command, the timeline, the action,
 * the safety settings) is kept as Barman and the restore wrote it.
 */
export function retargetRecoveryConfig(text: string, target: RecoveryTarget): string {
  // The comment of an earlier advance goes too: a retried or repeated advance leaves one, not a pile.
  const kept = text.split('\n').filter((line) => !TARGET_SETTING.test(line) && !line.startsWith(ADVANCE_COMMENT));
  while (kept.length > 0 && kept[kept.length - 1] === '') kept.pop();
  const settings = recoveryTargetSettings(target).map(([name, value]) => `${name} = ${configString(value)}`);
  return [...kept, `${ADVANCE_COMMENT}the held restore's target moved to ${describeTarget(target).replace(/\n/g, ' ')}`, ...settings, ''].join('\n');
}

/**
 * Whether the configuration replays from `<destination>/barman_wal`, as `barman recover` sets it up: where an advance
 * puts the WAL it fetched. Barman 3.4 writes the folder relative (`cp barman_wal/%f %p`, PostgreSQL runs it in the
 * data directory), 3.19.1 with the destination in front (src/core/destination-name.ts).
 */
export function replaysFromBarmanWal(text: string, destination: string): boolean {
  const command = (folder: string) => `'cp ${folder}barman_wal/%f %p'`;
  const accepted = [command(''), command(`${destination}/`)];
  return text.split('\n').some((line) => {
    const m = /^\s*restore_command\s*=\s*('.*')\s*$/.exec(line);
    return m !== null && accepted.includes(m[1]!);
  });
}

/** How to reach a held server, for the UI's details and the CLI. */
export function connectionHint(server: HeldServer): string {
  return `psql -h ${server.socketDir} -p ${server.port} -d postgres (as ${server.user} or root), or host 127.0.0.1 port ${server.port}`;
}
