// Which backups are a plain PGDATA in tarballs, the only kind a restore through Barman's `recover` can
// use. The others are recognised from backup.info alone (docs/barman-pitr-facts.md §8), before any download:
// - incremental: PostgreSQL 17 incremental backups (`parent_backup_id` set, Barman 3.11+) hold only the
//   blocks changed since their parent; they need pg_combinebackup over the whole chain first.
// - snapshot: `barman-cloud-backup --snapshot-*` leaves the data in cloud disk snapshots (`snapshots_info`)
//   and no tarballs.
// - encrypted: a Barman server's `encryption = gpg` backups (3.14+), uploaded by a hook.
// - compressed by a Barman server: its `backup_compression` (`compression=` in backup.info; barman-cloud
//   writes None even with --gzip) makes the data tar hold `base.tar.*` archives instead of a PGDATA.
import type { BackupInfo } from './backup-info';

export interface UnrestorableKind {
  /** A short name for the plan's "not" lines, e.g. `incremental backup`. */
  kind: string;
  /** What it is and what would restore it, as a sentence. */
  explanation: string;
}

/** Why this backup cannot be restored here, or null for a plain tarball backup. */
export function unrestorableKind(info: BackupInfo): UnrestorableKind | null {
  if (info.snapshotProvider !== null || info.mode?.startsWith('snapshot')) {
    return {
      kind: 'snapshot backup',
      explanation:
        `it is a snapshot backup (barman-cloud-backup --snapshot-*, provider ${info.snapshotProvider ?? 'unknown'}): its data is in cloud disk snapshots, not in S3 tarballs. ` +
        'Restore it with barman-cloud-restore --snapshot-recovery-instance on a machine with the snapshot disks attached',
    };
  }
  if (info.parentBackupId !== null) {
    return {
      kind: 'incremental backup',
      explanation:
        `it is a PostgreSQL incremental backup (parent ${info.parentBackupId}): it holds only the blocks changed since its parent. ` +
        'Combine the chain with pg_combinebackup and restore the result by hand, or choose a full backup (`pitr backups` lists them)',
    };
  }
  if (info.encryption !== null) {
    return {
      kind: 'encrypted backup',
      explanation:
        `it is encrypted (encryption=${info.encryption}) by the Barman server that uploaded it; the worker holds no key. ` +
        'Restore it on that Barman server (barman restore, with its encryption passphrase), or choose an unencrypted backup',
    };
  }
  if (info.compression !== null) {
    return {
      kind: `Barman-server backup compressed with ${info.compression}`,
      explanation:
        `it was compressed by a Barman server (backup_compression=${info.compression}) and uploaded by a hook: its data tar holds that server's own archives, not a data directory. ` +
        'Restore it on a Barman server (barman restore), or choose a backup written by barman-cloud-backup',
    };
  }
  return null;
}
