// `pitr plan`: a dry run of a restore, on the worker of the target's Barman host (through Temporal): which backup
// and why (and why not the newer ones), the WAL range, what would be downloaded, whether the target is reachable at
// all and, with --dest, the disk space needed against what is free there and the destination's state. Nothing is
// copied into the destination nor the Barman home. This process needs only Temporal: the worker has the S3
// credentials, pg_waldump and the disk.
import { parseArgs } from 'node:util';
import { parseTargetTime, parseTargetTimeline } from '../core/recovery-target';
import { formatBytes, isoOffsetTime, withOffsetTimes } from '../core/report-format';
import { serverPrefix } from '../core/s3-layout';
import { describeTimelinePath } from '../core/timeline-path';
import type { AreaNeed, AreaCheck, SpaceCheck, SpaceNeeds } from '../core/restore-space';
import { toBarmanTime, type UtcMicros } from '../core/timestamp';
import type { DryRunOutcome, ReachableDryRun, UnreachableDryRun } from '../io/restore-dry-run';
import { withPitrClient, type PreviewRestoreInput } from '../pitr-client';
import { noWorkerNote, withInterrupt } from './interrupt';
import { terminalSafe, terminalSafeJson } from '../core/untrusted-text';
import { FailureTypes, RestoreError } from '../shared';
import { required, UsageError } from './usage-error';
import { destinationArgument } from './destination-argument';
import { tablespaceArguments } from './tablespace-argument';

export const PLAN_USAGE = `pitr plan --server NAME --target-time TIME [--dest DIR] [--backup-id ID] [--target-tli N|current|latest] [--tablespace NAME=DIR]... [--bucket B] [--prefix P] [--task-queue Q] [--json]
      dry run of a restore: backup and why, WAL range, bytes to fetch, reachability; with --dest, disk needed vs free there.
      Runs on the worker of the server's Barman host (--task-queue Q, else its PITR_SERVER_QUEUES entry, else PITR_TASK_QUEUE):
      this machine needs only Temporal. Exit status: 0 ready, 3 target not reachable, 4 not enough disk space`;

export const EXIT_UNREACHABLE = 3;
export const EXIT_SPACE_SHORT = 4;

export async function runPlan(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      server: { type: 'string' },
      'target-time': { type: 'string' },
      'backup-id': { type: 'string' },
      'target-tli': { type: 'string' },
      dest: { type: 'string' },
      tablespace: { type: 'string', multiple: true },
      bucket: { type: 'string' },
      prefix: { type: 'string' },
      'task-queue': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const server = required(values.server, '--server', PLAN_USAGE);
  const targetInput = required(values['target-time'], '--target-time', PLAN_USAGE);
  const destination = values.dest === undefined ? undefined : destinationArgument(values.dest);
  if (destination === undefined && values.tablespace?.length) throw new UsageError(`--tablespace needs --dest (the other tablespaces go beside it)\nusage: ${PLAN_USAGE}`);
  const targetTime = parseTargetTime(targetInput).utc;
  const targetTimeline = values['target-tli'] ? parseTargetTimeline(values['target-tli']) : undefined;
  const tablespaces = destination === undefined ? [] : tablespaceArguments(values.tablespace, destination);

  return withPitrClient(async (client) => {
    const request = {
      server,
      bucket: values.bucket,
      prefix: values.prefix,
      taskQueue: values['task-queue'],
      targetTime,
      backupId: values['backup-id'],
      targetTimeline,
      destination,
      tablespaces,
    };
    const outcome = await withInterrupt((signal) => client.plan(request, { signal, onNoWorker: noWorkerNote })).catch((err: unknown) => {
      // A --tablespace name the chosen backup lacks is a bad usage here, as a bad --dest is.
      if (err instanceof RestoreError && err.type === FailureTypes.InvalidInput) throw new UsageError(err.message);
      throw err;
    });
    const bucket = values.bucket ?? client.settings.bucket!;
    const header = { server, bucket, prefix: values.prefix ?? client.settings.prefix, targetTime, destination };
    console.log(values.json ? terminalSafeJson(JSON.stringify(planJson(header, outcome), null, 2)) : formatPlan(header, outcome).join('\n'));
    if (!outcome.reachable) return EXIT_UNREACHABLE;
    const spaceShort = (outcome.space && !outcome.space.enough) || (outcome.tablespaces ?? []).some((t) => !t.space.enough);
    return spaceShort ? EXIT_SPACE_SHORT : 0;
  });
}

/** The question, as the report repeats it (without a destination: no disk or destination section). */
type PlanHeader = Pick<PreviewRestoreInput, 'server' | 'bucket' | 'prefix' | 'targetTime' | 'destination'>;

export function planJson(header: PlanHeader, outcome: DryRunOutcome): object {
  const common = {
    server: header.server,
    bucket: header.bucket,
    prefix: header.prefix,
    targetTime: isoOffsetTime(header.targetTime),
    ...(header.destination !== undefined ? { destination: header.destination } : {}),
    reachable: outcome.reachable,
  };
  const time = (t: UtcMicros | null | undefined) => (t ? isoOffsetTime(t) : null);
  if (!outcome.reachable) {
    return {
      ...common,
      type: outcome.type,
      message: outcome.message,
      lastArchivedCommit: time(outcome.lastArchivedCommit),
      latestReachableTarget: time(outcome.latestReachableTarget),
      earliestReachableTarget: time(outcome.earliestReachableTarget),
    };
  }
  const { plan, baseSize } = outcome;
  return {
    ...common,
    backup: { id: plan.backupId, endTime: time(plan.backupEndTime), timeline: plan.timeline, pgVersion: plan.pgVersion, reason: plan.backupReason },
    skipped: outcome.skipped.map((s) => ({ id: s.backupId, why: s.why })),
    wal: {
      first: plan.beginWal,
      last: plan.endWal,
      segments: plan.walSegments,
      segmentSize: plan.segmentSize,
      historyFiles: plan.historyFiles,
      archivedBytes: plan.walBytes,
      firstCommitAfterTarget: time(plan.firstCommitAfterTarget),
      lastCommitBeforeTarget: time(plan.lastCommitBeforeTarget),
    },
    timeline: {
      target: plan.targetTimeline,
      switches: plan.timelineSwitches.map((s) => ({ parentTimeline: s.parentTimeline, switchLsn: s.switchLsn })),
      abandoned: (plan.abandoned ?? []).map((a) => ({ ...a, firstCommitAfter: time(a.firstCommitAfter as UtcMicros | null) })),
    },
    download: { baseObjects: plan.baseObjects, baseBytes: plan.baseBytes, walObjects: plan.walSegments + plan.historyFiles, walBytes: plan.walBytes, totalBytes: plan.baseBytes + plan.walBytes },
    baseSize: {
      extractedBytes: baseSize.bytes,
      exact: baseSize.exact,
      lowerBound: baseSize.lowerBound,
      method: baseSize.method,
      objects: baseSize.objects.map((o) => ({ key: o.key, compression: o.compression, storedBytes: o.storedBytes, extractedBytes: o.extractedBytes, method: o.method, lowerBound: o.lowerBound })),
    },
    ...(outcome.space && outcome.needs ? destinationJson(outcome, outcome.space, outcome.needs) : {}),
  };
}

/** The disk and destination sections: only for a plan asked with --dest. */
function destinationJson(outcome: ReachableDryRun, space: SpaceCheck, needs: SpaceNeeds): object {
  const area = (check: AreaCheck, need: AreaNeed) => ({ ...check, parts: need.parts });
  return {
    space: { ...space, destination: area(space.destination, needs.destination), barmanHome: area(space.barmanHome, needs.barmanHome) },
    destinationState: outcome.destinationState ?? null,
    destinationProblem: outcome.destinationProblem ?? null,
    tablespaces: (outcome.tablespaces ?? []).map((t) => ({
      name: t.name,
      oid: t.oid,
      location: t.location,
      source: t.source,
      recordedLocation: t.original,
      state: t.state,
      problem: t.problem,
      space: { requiredBytes: t.space.requiredBytes, freeBytes: t.space.freeBytes, measuredAt: t.space.measuredAt, onDestinationFilesystem: t.space.onDestinationFilesystem, enough: t.space.enough },
    })),
  };
}

export function formatPlan(header: PlanHeader, outcome: DryRunOutcome): string[] {
  const lines = [
    `plan: restore ${header.server} (s3://${header.bucket}/${serverPrefix(header.prefix, header.server)}) to ${toBarmanTime(header.targetTime)}`,
    `      ${header.destination !== undefined ? `into ${header.destination} ` : ''}(dry run: nothing was copied${header.destination === undefined ? '; no --dest, so no disk or destination checks' : ''})`,
    '',
  ];
  // Why a backup was skipped, and a refusal's message, quote backup.info values from the bucket: no control
  // character reaches the terminal.
  return [...lines, ...(outcome.reachable ? formatReachable(outcome) : formatUnreachable(outcome))].map(terminalSafe);
}

function formatUnreachable(outcome: UnreachableDryRun): string[] {
  const lines = [`NOT REACHABLE (${outcome.type}): ${withOffsetTimes(outcome.message)}`, ''];
  if (outcome.lastArchivedCommit) {
    lines.push(
      `last archived commit     ${toBarmanTime(outcome.lastArchivedCommit)}`,
      `latest reachable target  ${toBarmanTime(outcome.latestReachableTarget!)} (just before the last archived commit: replay stops at the first commit after the target)`,
    );
  }
  if (outcome.earliestReachableTarget) lines.push(`earliest reachable target  ${toBarmanTime(outcome.earliestReachableTarget)}`);
  return lines;
}

function formatReachable(outcome: ReachableDryRun): string[] {
  const { plan, baseSize } = outcome;
  return [
    `${label('backup')}${plan.backupId}, ended ${toBarmanTime(plan.backupEndTime)} (timeline ${plan.timeline}, PostgreSQL ${plan.pgVersion})`,
    `${label('  why')}${withOffsetTimes(plan.backupReason)}`,
    ...outcome.skipped.map((s) => `${label('  not')}${s.backupId}: ${withOffsetTimes(s.why)}`),
    `${label('WAL')}${plan.beginWal}..${plan.endWal}: ${plan.walSegments} segment${plan.walSegments === 1 ? '' : 's'} of ${formatBytes(plan.segmentSize)}${plan.historyFiles ? `, ${plan.historyFiles} history file${plan.historyFiles === 1 ? '' : 's'}` : ''}`,
    `${label('timeline')}${describeTimelinePath(plan)}`,
    ...(plan.abandoned ?? []).map((a) => `${label('  abandoned')}${withOffsetTimes(a.note)}`),
    `${label('  stops at')}${plan.firstCommitAfterTarget ? `the first commit after the target, ${toBarmanTime(plan.firstCommitAfterTarget)}` : (plan.targetReached ?? '?')}${plan.lastCommitBeforeTarget ? ` (last commit before it: ${toBarmanTime(plan.lastCommitBeforeTarget)})` : ''}`,
    `${label('download')}${formatBytes(plan.baseBytes + plan.walBytes)}: base backup ${formatBytes(plan.baseBytes)} (${outcome.tarObjects} tar${outcome.tarObjects === 1 ? '' : 's'} + backup.info) + WAL ${formatBytes(plan.walBytes)} (${plan.walSegments + plan.historyFiles} objects)`,
    `${label('extracted')}base backup ${formatBytes(baseSize.bytes)} (${baseSize.method})`,
    ...(outcome.space && outcome.needs ? destinationLines(outcome, outcome.space, outcome.needs) : []),
    `${label('reachable')}yes: the archive holds a commit after the target${plan.firstCommitAfterTarget ? ` (${toBarmanTime(plan.firstCommitAfterTarget)})` : ''}`,
  ];
}

const label = (name: string) => name.padEnd(13);

/** The disk and destination lines: only for a plan asked with --dest. */
function destinationLines(outcome: ReachableDryRun, space: SpaceCheck, needs: SpaceNeeds): string[] {
  const parts = (need: AreaNeed) => need.parts.map((p) => `${p.label} ${formatBytes(p.bytes)}`).join(' + ');
  const lines = [
    `${label('disk')}destination ${space.destination.path} (${freeText(space.destination)}): needs ${formatBytes(needs.destination.bytes)}`,
    `${label('')}  ${parts(needs.destination)}`,
    `${label('')}Barman home ${space.barmanHome.path} (${freeText(space.barmanHome)}): needs ${formatBytes(needs.barmanHome.bytes)}`,
    `${label('')}  ${parts(needs.barmanHome)}`,
  ];
  if (space.sharedFilesystem) {
    const free = Math.min(space.destination.freeBytes, space.barmanHome.freeBytes);
    lines.push(`${label('')}one filesystem for both: ${formatBytes(space.requiredOnSharedBytes!)} needed, ${formatBytes(free)} free: ${space.enough ? 'enough' : 'NOT ENOUGH'}`);
  } else {
    lines.push(`${label('')}${space.enough ? 'enough space in both places' : 'NOT ENOUGH space (see above)'}`);
  }
  lines.push(
    `${label('destination')}${outcome.destinationProblem ?? (outcome.destinationState === 'absent' ? 'absent: the restore creates it' : 'empty: the restore fills it')}`,
    ...(outcome.tablespaces ?? []).flatMap((t) => [
      `${label('tablespace')}${terminalSafe(t.name)} (oid ${t.oid}) -> ${t.location} (${t.source === 'default' ? 'default: beside the data directory' : 'named with --tablespace'}; the backup recorded ${terminalSafe(t.original)})`,
      `${label('')}  ${t.problem ?? (t.state === 'absent' ? 'absent: the restore creates it' : 'empty: the restore fills it')}; needs ${formatBytes(t.space.requiredBytes)}${t.space.onDestinationFilesystem ? ', counted with the destination (same filesystem)' : `, ${formatBytes(t.space.freeBytes)} free at ${t.space.measuredAt}${t.space.enough ? '' : ', NOT ENOUGH'}`}`,
    ]),
  );
  return lines;
}

function freeText(check: AreaCheck): string {
  const where = check.measuredAt === check.path ? '' : ` at ${check.measuredAt}`;
  return `${formatBytes(check.freeBytes)} free${where}${check.fits ? '' : ', NOT ENOUGH'}`;
}
