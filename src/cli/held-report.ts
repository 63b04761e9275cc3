// How a held restore and an advance are shown on a terminal (pitr restore --hold --wait, pitr advance, pitr status).
import { connectionHint } from '../core/held-restore';
import { describeTarget } from '../core/recovery-target';
import { terminalSafe } from '../core/untrusted-text';
import type { AdvanceResult, HeldState } from '../shared';

export function describeAdvance(result: AdvanceResult): string {
  const { plan, verify } = result;
  return [
    `advanced to ${describeTarget(result.target)}`,
    `  WAL ${plan.beginWal}..${plan.endWal}: ${result.wal.objects} files, ${result.wal.objectsSkipped} already on disk, ${result.wal.bytesFetched} bytes fetched`,
    `  replay stopped ${terminalSafe(verify.stoppedAt.description)}${verify.stoppedAt.lsn ? ` at ${verify.stoppedAt.lsn}` : ''}, on timeline ${verify.stoppedAt.timeline}; last replayed commit ${verify.lastReplayedCommit ?? 'none'}`,
    `  PostgreSQL paused there: ${connectionHint(result.server)}`,
  ].join('\n');
}

export function describeHeld(id: string, held: HeldState): string {
  return [
    `${id}: held at ${describeTarget(held.target)}${held.advances > 0 ? ` (after ${held.advances} advance${held.advances > 1 ? 's' : ''})` : ''}${held.state !== 'held' ? `, ${held.state}` : ''}`,
    `  replay stopped ${terminalSafe(held.verify.stoppedAt.description)}${held.verify.stoppedAt.lsn ? ` at ${held.verify.stoppedAt.lsn}` : ''}; last replayed commit ${held.verify.lastReplayedCommit ?? 'none'}; timeline ${held.verify.timeline}`,
    `  backup ${held.plan.backupId}, WAL ${held.plan.beginWal}..${held.plan.endWal}, data directory ${held.server.dataDir}`,
    `  connect: ${connectionHint(held.server)}`,
    `  decide: pitr advance '${id}' --target-time T (later), pitr finish '${id}' --promote | --stop`,
  ].join('\n');
}
