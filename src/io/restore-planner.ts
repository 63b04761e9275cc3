// Decides, before any base backup byte is copied, which backup a restore uses and which WAL it
// needs, and refuses a target the archive cannot reach. The WAL end is found by reading WAL
// (pg_waldump) for the first commit after the target, never by S3 LastModified.
import { isPlannable, missingPlanFields, type BackupInfo, type PlannableBackupInfo } from '../core/backup-info';
import { BackupNotConsistentAtTargetError, NoBackupForOtherTargetError, NoBackupForTargetError, selectBackupForOtherTarget, selectBackupForTime, type SkippedBackup } from '../core/backup-selection';
import { isUsableBackup } from '../core/backup-overview';
import type { TimelineHistoryOf } from '../core/timeline-branches';
import type { RecoveryTarget } from '../core/recovery-target';
import { assertValidServerName, baseBackupsPrefix, basePartGaps, walsPrefix } from '../core/s3-layout';
import {
  backupsOnPath,
  offPathReason,
  DEFAULT_TIMELINE_CHOICE,
  describeTimelineChoice,
  pathForBackupTimeline,
  pathSpans,
  pathTimelines,
  resolveTimelinePath,
  type TimelineChoice,
  type TimelinePath,
} from '../core/timeline-path';
import { walChainFrom } from '../core/wal-plan';
import { historyFileTimeline, isHistoryFileName, parseLsn } from '../core/wal-names';
import { MAX_HISTORY_FILE_BYTES, oversizeProblem } from '../core/untrusted-text';
import { FailureTypes, RestoreError, type RestorePlan } from '../shared';
import { listBackupCatalog, type BackupCatalog, type CatalogedBackup, type UnreadableBackup } from './backup-catalog';
import { abandonedAlongPath, findTargetEnd, type EndSearchRequest } from './target-end';
import { readTimelineHistories, unusableHistoryFile } from './timeline-histories';
import { listWalArchive, type ArchivedWalObject } from './wal-archive';
import type { PlannerDeps } from './wal-segments';

export interface PlanRequest extends EndSearchRequest {
  prefix: string;
  target: RecoveryTarget;
  /** The backup the user named (--backup-id); otherwise the newest that fits the target and the timeline is chosen. */
  backupId?: string;
  /** --target-tli: a number, current (the backup's) or latest (the default, PostgreSQL's). */
  targetTimeline?: TimelineChoice;
}

export interface PlannedRestore {
  plan: Omit<RestorePlan, 'workDir'>;
  backup: CatalogedBackup;
  /**
   * Backups not chosen (not DONE, ending after the target, not on the way to the target timeline), newest first,
   * then those whose backup.info cannot be used (for `pitr plan`).
   */
  skipped?: SkippedBackup[];
}

/**
 * The one planning flow of every restore, for `pitr plan`, the restore's plan step and (through the plan it
 * records) the WAL step: list the backups and the archive, resolve the timeline path, choose a backup on it,
 * chain the WAL along it, find where replay reaches the target, and say what the path leaves behind.
 */
export async function planRestore(deps: PlannerDeps, request: PlanRequest): Promise<PlannedRestore> {
  const { server, bucket, prefix, target } = request;
  const { backups, unreadable } = await listServerBackups(deps, request);
  const archive = await listWalArchive(deps.s3, bucket, prefix, server, request.signal);
  const histories = await readTimelineHistories(deps.s3, request, archive.histories);
  const choice = request.targetTimeline ?? DEFAULT_TIMELINE_CHOICE;
  const requested = resolveTimelinePath(choice, histories);
  const { onPath, offPath } = requested ? backupsOnPath(backups.map((b) => b.info), requested) : { onPath: backups.map((b) => b.info), offPath: [] };
  const named = requested && backups.find((b) => b.info.backupId === request.backupId)?.info;
  const namedOffPath = named && offPathReason(named, requested, named.segmentSize);
  if (namedOffPath) {
    throw new RestoreError(FailureTypes.TargetUnreachable, `backup ${named.backupId} cannot be restored along ${describeTimelineChoice(choice)} (${requested.timeline}): ${namedOffPath}; name another backup, or another --target-tli`);
  }
  // A backup chosen by its end_time may turn out, once its WAL is read, not to be consistent before the target
  // (core/backup-selection.ts, BackupNotConsistentAtTargetError): the choice moves on to the next older one.
  const notConsistent: BackupNotConsistentAtTargetError[] = [];
  for (;;) {
    const candidates = onPath.filter((b) => !notConsistent.some((e) => e.backupId === b.backupId));
    const chosen = withOffPathNote(offPath, () => selectBackup(candidates, target, request.backupId, notConsistent.at(-1)));
    const passedOverNote = notConsistent.length === 0 ? '' : `; the newer ${notConsistent.map((e) => e.backupId).join(', ')} ended earlier by end_time but ${notConsistent.length > 1 ? 'are' : 'is'} not consistent before the target`;
    const selection = { ...chosen, reason: chosen.reason + passedOverNote };
    try {
      const planned = await planFromBackup(deps, request, { backups, archive, histories, requested, selection, onPath });
      const passedOver = notConsistent.map((e) => ({ backupId: e.backupId, why: e.why }));
      return { ...planned, skipped: [...passedOver, ...selection.skipped, ...offPath, ...unreadableSkipped(unreadable)] };
    } catch (err) {
      if (!(err instanceof BackupNotConsistentAtTargetError) || request.backupId !== undefined) throw err;
      notConsistent.push(err);
    }
  }
}

interface PlanContext {
  backups: CatalogedBackup[];
  archive: { segments: ArchivedWalObject[]; histories: ArchivedWalObject[] };
  histories: TimelineHistoryOf[];
  requested: TimelinePath | null;
  selection: { chosen: BackupInfo; reason: string; skipped: SkippedBackup[] };
  onPath: BackupInfo[];
}

/** The plan from the chosen backup: its WAL chain along the path, where replay reaches the target, and what the path leaves behind. */
async function planFromBackup(deps: PlannerDeps, request: PlanRequest, context: PlanContext): Promise<Omit<PlannedRestore, 'skipped'>> {
  const { bucket, prefix, server, target } = request;
  const { archive, histories, requested, selection } = context;
  const backup = context.backups.find((b) => b.info.backupId === selection.chosen.backupId) as CatalogedBackup;
  const info = backup.info;
  if (!isPlannable(info)) {
    throw new RestoreError(FailureTypes.BackupNotFound, `backup ${info.backupId} has an incomplete backup.info: it lacks ${missingPlanFields(info).join(', ')}, which barman-cloud-backup writes for every completed backup (begin_wal, end_wal, end_xlog, timeline, version and end_time are required)`);
  }
  deps.pgBinDir(info.pgVersion); // a missing PostgreSQL major is refused here, before anything is fetched
  if (!backup.objects.some((o) => o.kind === 'data')) {
    throw new RestoreError(FailureTypes.BackupNotFound, `backup ${info.backupId} has no data.tar* object in s3://${bucket}/${baseBackupsPrefix(prefix, server)}${info.backupId}/`);
  }
  assertCompleteParts(backup, bucket, prefix, server);

  const path = requested ?? pathForBackupTimeline(info.timeline);
  const { chain, gapAfter } = walChainFrom(archive.segments, info.beginWal, info.segmentSize, pathSpans(path, info.segmentSize));
  if (!chain.some((s) => s.name === info.endWal)) {
    throw new RestoreError(
      FailureTypes.WalGap,
      `the WAL archive under s3://${bucket}/${walsPrefix(prefix, server)} lacks segments backup ${info.backupId} needs to become consistent (${info.beginWal} to ${info.endWal}); ` +
        (gapAfter ? `the first missing one follows ${gapAfter}` : `the archive stops at ${chain.at(-1)?.name ?? 'nothing'}`),
    );
  }

  const olderBackupIds = context.onPath
    .filter((b) => isUsableBackup(b) && b.endXlog !== null && parseLsn(b.endXlog) < parseLsn(info.endXlog))
    .sort((a, b) => parseLsn(a.endXlog!) - parseLsn(b.endXlog!))
    .map((b) => b.backupId);
  const end = await findTargetEnd(deps, request, { target, info, chain, gapAfter, path, backupNamed: request.backupId !== undefined, olderBackupIds });
  const abandoned = await abandonedAlongPath(deps, request, { path, histories, archive: archive.segments, info, stopLsn: end.stopLsn });
  const plan = {
    ...planFacts(backup, info, selection.reason, chain.slice(0, end.index + 1), historiesToStage(archive.histories)),
    ...end.facts,
    stopLsn: end.stopLsn,
    targetTimeline: path.timeline,
    timelineSwitches: path.switches,
    ...(abandoned.length > 0 ? { abandoned } : {}),
  };
  return { plan, backup };
}

/**
 * The WAL the plan chose, from a fresh listing of the archive, for the WAL step: the chain from beginWal along
 * the plan's timeline path up to endWal, and the path's history files; the same functions the plan used, so
 * the two cannot disagree. Refuses when the archive no longer holds it.
 */
export function plannedWal(archive: { segments: ArchivedWalObject[]; histories: ArchivedWalObject[] }, plan: Pick<RestorePlan, 'beginWal' | 'endWal' | 'segmentSize' | 'targetTimeline' | 'timelineSwitches'>): ArchivedWalObject[] {
  const path: TimelinePath = { timeline: plan.targetTimeline, switches: plan.timelineSwitches };
  const { chain } = walChainFrom(archive.segments, plan.beginWal, plan.segmentSize, pathSpans(path, plan.segmentSize));
  const endIndex = chain.findIndex((s) => s.name === plan.endWal);
  if (endIndex < 0) {
    throw new RestoreError(FailureTypes.WalGap, `WAL segment ${plan.endWal} planned for this restore is no longer in the archive (or the chain from ${plan.beginWal} broke)`);
  }
  const histories = historiesToStage(archive.histories);
  const missing = pathTimelines(path).filter((t) => t > 1 && !histories.some((h) => historyFileTimeline(h.name) === t));
  if (missing.length > 0) {
    throw new RestoreError(FailureTypes.WalGap, `the history file of timeline ${missing.join(', ')} planned for this restore is no longer in the archive`);
  }
  return [...chain.slice(0, endIndex + 1), ...histories];
}

/**
 * The backup for a time (newest ending before it) or for another target (target-planner's rules), among `candidates`.
 * When every backup that ends before a time was passed over as not consistent before it, the refusal is the
 * oldest one's: it says when that backup becomes usable, which "no backup ends before the target" would not.
 */
function selectBackup(
  candidates: BackupInfo[],
  target: RecoveryTarget,
  backupId: string | undefined,
  lastPassedOver: BackupNotConsistentAtTargetError | undefined,
): { chosen: BackupInfo; reason: string; skipped: SkippedBackup[] } {
  if (target.kind === 'time') {
    try {
      return selectBackupForTime(candidates, target.utc, backupId);
    } catch (err) {
      throw err instanceof NoBackupForTargetError && lastPassedOver ? lastPassedOver : err;
    }
  }
  return { ...selectBackupForOtherTarget(candidates, target, backupId), skipped: [] };
}

/** A refusal for want of a backup also names the backups left out because they are not on the timeline path. */
function withOffPathNote<T>(offPath: readonly SkippedBackup[], choose: () => T): T {
  try {
    return choose();
  } catch (err) {
    if (offPath.length > 0 && err instanceof Error && (err instanceof NoBackupForTargetError || err instanceof NoBackupForOtherTargetError)) {
      err.message = `${err.message.replace(/\.$/, '')}; left out: ${offPath.map((o) => `${o.backupId} (${o.why})`).join('; ')}`;
    }
    throw err;
  }
}

/**
 * The server's complete backups, and those whose backup.info cannot be used (skipped, with a note); refuses a
 * bad server name, an unknown server, only incomplete backups, only unusable ones, or a --backup-id naming one.
 */
export async function listServerBackups(deps: Pick<PlannerDeps, 's3'>, request: Pick<PlanRequest, 'server' | 'bucket' | 'prefix' | 'signal' | 'backupId'>): Promise<BackupCatalog> {
  const { server, bucket, prefix } = request;
  assertValidServerName(server);
  const catalog = await listBackupCatalog(deps.s3, bucket, prefix, server, request.signal);
  const named = catalog.unreadable.find((u) => u.backupId === request.backupId);
  if (named) throw named.error;
  if (catalog.backups.length > 0) return catalog;
  if (catalog.unreadable.length > 0) {
    throw new RestoreError(
      FailureTypes.CorruptArchive,
      `no usable backup under s3://${bucket}/${baseBackupsPrefix(prefix, server)}: the backup.info of every backup cannot be used (` +
        catalog.unreadable.slice(0, 3).map((u) => `${u.backupId}: ${u.problem}`).join('; ') +
        `${catalog.unreadable.length > 3 ? `; and ${catalog.unreadable.length - 3} more` : ''}); ` +
        'barman-cloud-backup writes backup.info last, as key=value lines: check these objects, and take a new backup with barman-cloud-backup',
    );
  }
  const incomplete = catalog.withoutInfo;
  if (incomplete.length > 0) {
    throw new RestoreError(
      FailureTypes.BackupNotFound,
      `no complete backup under s3://${bucket}/${baseBackupsPrefix(prefix, server)}: ${incomplete.length === 1 ? 'backup folder' : 'backup folders'} ${incomplete.slice(0, 5).join(', ')}${incomplete.length > 5 ? ', ...' : ''} ` +
        `${incomplete.length === 1 ? 'has' : 'have'} data but no backup.info, which barman-cloud-backup writes last (interrupted or still uploading); ` +
        `wait for a running backup to finish, or take a new one with barman-cloud-backup`,
    );
  }
  throw new RestoreError(
    FailureTypes.ServerNotFound,
    `no barman-cloud backups found under s3://${bucket}/${baseBackupsPrefix(prefix, server)}; check the server name (the folder barman-cloud-backup wrote) and the prefix`,
  );
}

/** Refuses, before anything is copied, a backup a part of whose tarballs is missing (data.tar and data_0002.tar, no data_0001.tar). */
export function assertCompleteParts(backup: CatalogedBackup, bucket: string, prefix: string, server: string): void {
  const gap = basePartGaps(backup.objects)[0];
  if (!gap) return;
  const list = (ns: number[]) => (ns.length === 1 ? `${ns[0]}` : `${ns.slice(0, -1).join(', ')} and ${ns[ns.length - 1]}`);
  throw new RestoreError(
    FailureTypes.CorruptArchive,
    `backup ${backup.info.backupId} in s3://${bucket}/${baseBackupsPrefix(prefix, server)}${backup.info.backupId}/ lacks ` +
      `${gap.missing.length === 1 ? 'part' : 'parts'} ${list(gap.missing)} of ${gap.directory}.tar* (it has parts ${list(gap.present)}): ` +
      'barman-cloud-backup uploads the parts of a directory as data.tar, data_0001.tar, ... without gaps, and backup.info last, so this backup is incomplete; ' +
      'restore from another backup (name one with --backup-id, or choose a target another backup covers)',
  );
}

/** The note `pitr plan` and the plan show for each backup whose backup.info cannot be used. */
export function unreadableSkipped(unreadable: readonly UnreadableBackup[]): SkippedBackup[] {
  return [...unreadable].reverse().map((u) => ({ backupId: u.backupId, why: `skipped: its backup.info cannot be used: ${u.problem}` }));
}

/** What every plan records, from the chosen backup and the WAL it needs (segments in order, history files). */
export function planFacts(backup: CatalogedBackup, info: PlannableBackupInfo, backupReason: string, needed: ArchivedWalObject[], histories: ArchivedWalObject[]): Omit<PlannedRestore['plan'], 'stopLsn' | 'targetTimeline' | 'timelineSwitches'> {
  return {
    backupId: info.backupId,
    backupReason,
    backupEndTime: info.endTime,
    timeline: info.timeline,
    pgVersion: info.pgVersion,
    segmentSize: info.segmentSize,
    beginWal: info.beginWal,
    endWal: needed.at(-1)!.name,
    walSegments: needed.length,
    walBytes: [...needed, ...histories].reduce((sum, w) => sum + w.size, 0),
    historyFiles: histories.length,
    baseObjects: backup.objects.length + 1,
    baseBytes: backup.objects.reduce((sum, o) => sum + o.size, 0) + backup.infoSize,
  };
}

/**
 * Every timeline history file of the archive. Replay follows only the path: Barman is handed the resolved timeline
 * number, and PostgreSQL then reads that timeline's history alone (recovery_target_timeline = N, no probing). But at
 * a promotion PostgreSQL takes the timeline after the newest history file restore_command finds (findNewestTimeLine,
 * xlogrecovery.c): with only the path's files staged, a restore of timeline 1 promoted into timeline 2, a number the
 * archive already holds, and would have archived into it. One larger than MAX_HISTORY_FILE_BYTES is refused here,
 * before it is fetched; the WAL step checks that the path's own are among them (plannedWal).
 */
export function historiesToStage(histories: ArchivedWalObject[]): ArchivedWalObject[] {
  const all = histories.filter((h) => isHistoryFileName(h.name));
  for (const h of all) {
    const problem = oversizeProblem(h.size, MAX_HISTORY_FILE_BYTES, 'a timeline history file');
    if (problem) throw unusableHistoryFile(h, problem);
  }
  return all;
}
