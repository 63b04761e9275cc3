// Types, constants and names shared by the workflow, the activities, the worker and the CLI.
// Imported by the workflow bundle: nothing here may touch Node builtins.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { RecoveryTarget } from './core/recovery-target';
import type { TablespaceChoice, TablespacePlacement } from './core/tablespace-locations';
import type { AbandonedHistory } from './core/timeline-path';

export const DEFAULT_TASK_QUEUE = 'pitr';
export const WORKFLOW_TYPE = 'restoreToPointInTime';

/** Workflow ID for a restore: one running restore per destination. */
export function restoreWorkflowId(server: string, destination: string): string {
  return `pitr:${server}:${destination}`;
}

/** Where --force moves an existing destination: `<dest>.before-pitr-<backup id>` (never deleted). */
export function movedAsideSuffix(backupId: string): string {
  return `before-pitr-${backupId}`;
}

export const RESTORE_PHASES = [
  'Plan',
  'SyncBase',
  'SyncWal',
  'Stage',
  'Recover',
  'Verify',
  /** A held restore (--hold): PostgreSQL runs paused at the target, waiting for `pitr advance` or `pitr finish`. */
  'Held',
  'Advance',
  'Finish',
  'Done',
  'Cancel',
] as const;
export type RestorePhase = (typeof RESTORE_PHASES)[number];

export const SearchAttributes = {
  server: defineSearchAttributeKey('RestoreServer', SearchAttributeType.KEYWORD),
  destination: defineSearchAttributeKey('RestoreDestination', SearchAttributeType.KEYWORD),
  phase: defineSearchAttributeKey('RestorePhase', SearchAttributeType.KEYWORD),
  backupId: defineSearchAttributeKey('RestoreBackupId', SearchAttributeType.KEYWORD),
  targetTime: defineSearchAttributeKey('RestoreTargetTime', SearchAttributeType.DATETIME),
} as const;

/**
 * Failure types that retrying cannot fix. Activities throw them as non-retryable ApplicationFailures;
 * the workflow lists them so that nothing retries them by accident.
 */
export const FailureTypes = {
  InvalidTarget: 'InvalidTarget',
  InvalidInput: 'InvalidInput',
  ServerNotFound: 'ServerNotFound',
  BackupNotFound: 'BackupNotFound',
  UnsupportedBackup: 'UnsupportedBackup',
  TargetUnreachable: 'TargetUnreachable',
  WalGap: 'WalGap',
  DestinationNotEmpty: 'DestinationNotEmpty',
  InvalidDestination: 'InvalidDestination',
  BucketNotFound: 'BucketNotFound',
  AccessDenied: 'AccessDenied',
  UnsafeArchive: 'UnsafeArchive',
  CorruptArchive: 'CorruptArchive',
  BarmanFailed: 'BarmanFailed',
  RecoveryFailed: 'RecoveryFailed',
  /**
   * Replay did not stop where the plan says: PostgreSQL paused for another reason (a setting lower than on the
   * source), ran out of WAL before the target, or stopped at another record (src/core/recovery-stop.ts).
   */
  RecoveryStoppedShort: 'RecoveryStoppedShort',
  ToolMissing: 'ToolMissing',
  InsufficientSpace: 'InsufficientSpace',
  /** The bucket is in another region than the worker's S3 client uses (301 PermanentRedirect, AuthorizationHeaderMalformed). */
  WrongRegion: 'WrongRegion',
  /** Any other 4xx answer of S3 that sending the same request again cannot change. */
  S3RequestRejected: 'S3RequestRejected',
  /** EACCES/EPERM/EROFS: the worker may not read or write where it must. */
  PermissionDenied: 'PermissionDenied',
  /** A decision a restore refuses: advancing a held restore to an earlier point or another timeline, or deciding for a restore that is not held (yet). */
  NotAdvanceable: 'NotAdvanceable',
  /** Two downloads of an object gave the same bytes, which do not match its ETag (or the checksum S3 sends). */
  EtagMismatch: 'EtagMismatch',
} as const;
export type FailureType = (typeof FailureTypes)[keyof typeof FailureTypes];
export const NON_RETRYABLE_FAILURE_TYPES: string[] = Object.values(FailureTypes);

/** A failure retrying cannot fix; its message says what was wrong, what was expected and what to do. */
export class RestoreError extends Error {
  constructor(
    readonly type: FailureType,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

/** Durations in milliseconds; production defaults, shrunk by tests. */
export interface RestoreTimings {
  /** First retry interval of I/O activities. */
  retryInitialMs: number;
  /** Cap of the retry backoff of I/O activities. */
  retryMaximumMs: number;
  /** Heartbeat timeout of long activities: how fast a dead worker is noticed. */
  heartbeatTimeoutMs: number;
}

export const DEFAULT_TIMINGS: RestoreTimings = {
  retryInitialMs: 2_000,
  retryMaximumMs: 120_000,
  heartbeatTimeoutMs: 60_000,
};

export type TargetAction = 'pause' | 'promote' | 'shutdown';

export interface RestoreInput {
  /** barman-cloud server name: the folder in the bucket, and the Barman server name. */
  server: string;
  bucket: string;
  /** Key prefix before the server folder; '' when the server folder is at the bucket root. */
  prefix: string;
  /** Where recovery stops: a time (normalised, with the text given), an LSN, a transaction id, a restore point name, or immediate (src/core/recovery-target.ts). */
  target: RecoveryTarget;
  /**
   * The timeline to recover along: a number, 'current' (the backup's own) or 'latest' (the default, like
   * PostgreSQL's recovery_target_timeline): the plan resolves it to a number and a path of switches.
   */
  targetTimeline?: number | 'current' | 'latest';
  /** What PostgreSQL does at the target (default: pause, so a person can look before promoting). */
  targetAction?: TargetAction;
  /** Use this backup instead of choosing one (required for xid and restore point targets). */
  backupId?: string;
  /** Absolute, normalised path of the data directory to create. */
  destination: string;
  /** Task queue of the worker that owns the Barman host's disk. */
  taskQueue: string;
  /** Allow a destination that already holds files (they are moved aside, never deleted). */
  force: boolean;
  /**
   * Where tablespaces are restored (--tablespace NAME=DIR, each name once). A tablespace not named here goes to
   * <destination>.tablespaces/<name>; the folder backup.info records is used only when named here
   * (src/core/tablespace-locations.ts). Each location gets the destination's checks.
   */
  tablespaces?: TablespaceChoice[];
  /**
   * Keep the restore open after verify, PostgreSQL running paused at the target on a private port and socket,
   * until `pitr advance` moves the target forward or `pitr finish` ends it (src/workflows/hold.ts). Needs the
   * target action pause.
   */
  hold?: boolean;
  timings?: Partial<RestoreTimings>;
}

/** What the plan step decided; everything later steps need, and nothing large. */
export interface RestorePlan {
  backupId: string;
  /** Why this backup, in one sentence, for the history and the UI. */
  backupReason: string;
  backupEndTime: string;
  timeline: number;
  pgVersion: number;
  segmentSize: number;
  beginWal: string;
  /** The last segment to fetch: the first one holding a commit later than the target. */
  endWal: string;
  walSegments: number;
  walBytes: number;
  historyFiles: number;
  baseObjects: number;
  baseBytes: number;
  /** Time targets: the first commit after the target, where replay will stop. */
  firstCommitAfterTarget?: string;
  /** Other targets: where the target was found (e.g. `restore point "x" at 0/5000060`). */
  targetReached?: string;
  /** Present when the plan scanned past it: the last commit not later than the target. */
  lastCommitBeforeTarget?: string;
  /**
   * The WAL record where replay decides it has reached the target, as the plan read it: the first commit after
   * a time target (replay stops before it), the LSN of an LSN target, the end record of an xid, the restore
   * point's record, the end of the backup for immediate. Verify checks that PostgreSQL stopped there.
   */
  stopLsn: string;
  /** The timeline replay follows to the target (resolved from --target-tli; PostgreSQL's default is the latest). */
  targetTimeline: number;
  /** The target timeline's ancestry, as its history file lists it (empty for timeline 1): the path the WAL follows. */
  timelineSwitches: { parentTimeline: number; switchLsn: string; reason: string }[];
  /** Histories of the archive this restore does not include although the target lies after they parted from it. */
  abandoned?: AbandonedHistoryNote[];
  /** Where each tablespace of the backup is restored (absent or empty: the backup has none). */
  tablespaces?: TablespacePlacement[];
  /** Per-restore working area on the worker host (barman home, downloads, journal). */
  workDir: string;
}

/** A history replay to the target leaves out (src/core/timeline-path.ts), with its first commit after the switch and a note. */
export interface AbandonedHistoryNote extends AbandonedHistory {
  /** Its first commit after the switch, when the archived WAL shows one. */
  firstCommitAfter: string | null;
  /** One sentence: what is not restored, and the --target-tli that would restore it. */
  note: string;
}

export interface TransferResult {
  objects: number;
  objectsSkipped: number;
  bytesFetched: number;
  bytesTotal: number;
  /**
   * Objects copied from another restore's work area on the worker's host (a held or failed restore of the
   * same server whose download journal records the same key, ETag and size) instead of downloaded; absent
   * when none was. Not counted in objectsSkipped (already in this restore's own area) nor in bytesFetched.
   * `linkedDirectories`: base backup directories (data, tablespaces) that restore had extracted, taken by hard
   * links instead of extracting their tarballs again (their tarballs are counted in `objects` and `bytes`).
   */
  reused?: { objects: number; bytes: number; linkedDirectories?: number };
}

/** A setting of the restored configuration that verify's PostgreSQL ran without, for safety. */
export interface OverriddenSetting {
  name: string;
  /** The value the backup's configuration gives it; absent for settings that may hold a password (primary_conninfo, commands). */
  configured?: string;
  /** The value verify ran with. */
  value: string;
}

export interface VerifyResult {
  state: 'paused' | 'promoted' | 'shutdown';
  lastReplayedCommit: string | null;
  /** The timeline the restored cluster is on: the one replay stopped on, or the new one a promotion started. */
  timeline: number;
  /**
   * Where replay stopped, proven against the plan: PostgreSQL's "recovery stopping ..." line of this run (in words),
   * pg_last_wal_replay_lsn() (null after a shutdown at the target), and the timeline of the WAL it stopped in.
   */
  stoppedAt: { lsn: string | null; timeline: number; description: string };
  /**
   * Settings of the backup's own configuration that would load code, run commands or reach outside the copy
   * (shared_preload_libraries, primary_conninfo, ...), overridden while verify ran PostgreSQL; the restored
   * files keep them.
   */
  overriddenSettings: OverriddenSetting[];
}

export interface RestoreResult {
  restoreId: string;
  destination: string;
  plan: RestorePlan;
  base: TransferResult;
  wal: TransferResult;
  walFilesRegistered: number;
  verify: VerifyResult;
  /** A held restore's advances, oldest first: `plan` and `verify` above are those of the last target reached. */
  advances?: AdvanceResult[];
  /** How a held restore was finished: promoted, or stopped paused at the target. */
  finishedWith?: FinishMode;
}

/** Where a held restore's PostgreSQL is reached: loopback only, a port and a socket folder of its own. */
export interface HeldServer {
  host: '127.0.0.1';
  port: number;
  /** The Unix socket folder (psql -h), readable by the Barman user. */
  socketDir: string;
  /** The operating system user it runs as. */
  user: string;
  dataDir: string;
}

/** One `pitr advance` of a held restore: the new target, its plan, the WAL fetched for it, and where replay now stopped. */
export interface AdvanceResult extends Pick<RestoreResult, 'plan' | 'wal' | 'verify'> {
  target: RecoveryTarget;
  server: HeldServer;
}

export type FinishMode = 'promote' | 'stop';

/** What a held restore is now (the `held` query, `pitr status`, the UI's details). */
export interface HeldState extends Pick<AdvanceResult, 'target' | 'verify' | 'server'> {
  /** held: waiting for a decision; advancing/finishing: one is under way. */
  state: 'held' | 'advancing' | 'finishing';
  /** The plan of the target held (the last advance's, or the restore's). */
  plan: RestorePlan;
  advances: number;
}

/** Activity heartbeat details: progress for the UI card and `pitr status`. Never secrets. */
export interface ProgressDetails {
  phase: RestorePhase;
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
  current?: string;
}
