// Reads the archive's history files of timelines later than the backup's and refuses a plan whose target
// lies after one of them branched off (src/core/timeline-branches.ts): PostgreSQL's default would follow the
// newer timeline, the restore would not, and until the plan follows switches the user must choose.
import type { S3Client } from '@aws-sdk/client-s3';
import { ambiguousTimelineMessage, branchesBeforeStop, timelinesBranchedFrom } from '../core/timeline-branches';
import { historyFileTimeline, isHistoryFileName } from '../core/wal-names';
import { FailureTypes, RestoreError } from '../shared';
import { readTimelineHistories } from './timeline-histories';
import type { ArchivedWalObject } from './wal-archive';
import type { WorkDirLayout } from './work-dir';

export interface TimelineCheckRequest {
  bucket: string;
  layout: Pick<WorkDirLayout, 'scratch'>;
  /** The timeline the user chose (--target-tli): then nothing is guessed, and nothing is checked. */
  targetTimeline?: number;
  signal?: AbortSignal;
}

export interface PlannedStop {
  /** The target as the message names it, e.g. `target 2026-11-24T06:32:06.397252Z`. */
  target: string;
  backupId: string;
  backupTimeline: number;
  /** begin_xlog of the backup: where its replay starts. */
  backupStartLsn: string;
  /** The WAL record where replay reaches the target on the backup's timeline. */
  stopLsn: string;
  /** How the message names that record, e.g. `the first commit after it, at 0/5000120`. */
  stopDescription: string;
}

/**
 * Throws TimelineAmbiguous when no timeline was chosen and a later timeline in the archive branched off
 * the backup's timeline at or before the planned stop. Reads history files only when the archive holds one
 * of a later timeline than the backup's.
 */
export async function refuseAmbiguousTimeline(s3: S3Client, request: TimelineCheckRequest, histories: readonly ArchivedWalObject[], stop: PlannedStop): Promise<void> {
  if (request.targetTimeline !== undefined) return;
  const later = histories.filter((h) => isHistoryFileName(h.name) && historyFileTimeline(h.name) > stop.backupTimeline);
  if (later.length === 0) return;
  const parsed = await readTimelineHistories(s3, request, later);
  const before = branchesBeforeStop(timelinesBranchedFrom(stop.backupTimeline, stop.backupStartLsn, parsed), stop.stopLsn);
  if (before.length === 0) return;
  throw new RestoreError(
    FailureTypes.TimelineAmbiguous,
    ambiguousTimelineMessage({
      target: stop.target,
      backupId: stop.backupId,
      backupTimeline: stop.backupTimeline,
      stop: stop.stopDescription,
      branches: before,
      newestTimeline: Math.max(...parsed.map((p) => p.timeline)),
    }),
  );
}

