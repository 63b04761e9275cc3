// What the worker's own Barman (the one that runs rebuild-xlogdb and recover) accepts, by version.
//
// Each fact was read in the released source of every minor version from 3.4 to 3.19.1 (PyPI sdists,
// `barman/infofile.py`, `barman/server.py`, `barman/compression.py`, `barman/encryption.py`) and is
// summarised in docs/barman-pitr-facts.md §8:
// - 3.11 added five backup.info fields; 3.14 added `encryption`. Barman's info classes use `__slots__`,
//   so an older Barman cannot load a file holding a field it does not know.
// - 3.13 renamed `wals/xlog.db` to `<server>-xlog.db`, kept in the `xlogdb_directory` setting
//   (default: the wals directory).
// - 3.14 runs `file --brief` on every WAL file while rebuilding the catalogue (encryption.py).
// - Before 3.16 the catalogue's `gzip` names one `gzip -d` process per segment; `pygzip` decompresses in
//   Barman's own process. From 3.16 `gzip` is the in-process one and `pygzip` is deprecated.
import { FailureTypes, RestoreError } from '../shared';

export interface BarmanVersion {
  major: number;
  minor: number;
  patch: number;
}

/** The oldest Barman this project restores with (Debian 12's); older ones are refused, not guessed at. */
export const OLDEST_SUPPORTED_BARMAN: BarmanVersion = { major: 3, minor: 4, patch: 0 };

export class UnsupportedBarmanError extends RestoreError {
  constructor(message: string) {
    super(FailureTypes.ToolMissing, message);
    this.name = 'UnsupportedBarmanError';
  }
}

/** `barman --version` prints e.g. `3.19.1 Barman by EnterpriseDB (www.enterprisedb.com)` (3.4: `3.4.0 Barman by ...`). */
export function parseBarmanVersion(output: string): BarmanVersion {
  const match = /^\s*(\d+)\.(\d+)(?:\.(\d+))?\b/.exec(output);
  if (!match) {
    throw new UnsupportedBarmanError(
      `cannot tell the worker's Barman version: \`barman --version\` printed ${JSON.stringify(output.trim().slice(0, 120))}, expected e.g. "3.19.1 Barman by EnterpriseDB"`,
    );
  }
  const version = { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3] ?? 0) };
  if (!atLeast(version, OLDEST_SUPPORTED_BARMAN.major, OLDEST_SUPPORTED_BARMAN.minor)) {
    throw new UnsupportedBarmanError(
      `the worker's Barman is ${formatBarmanVersion(version)}; restores need Barman ${formatBarmanVersion(OLDEST_SUPPORTED_BARMAN)} or newer ` +
        `(install a current one, e.g. pip install 'barman[cloud]', and point PITR_BARMAN_BIN at it)`,
    );
  }
  return version;
}

export function formatBarmanVersion(v: BarmanVersion): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

export function atLeast(v: BarmanVersion, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

/** backup.info fields Barman 3.4 to 3.10 load (BackupInfo's Field declarations, unchanged over those versions). */
const BACKUP_INFO_FIELDS_3_4 = [
  'backup_label', 'backup_name', 'begin_offset', 'begin_time', 'begin_wal', 'begin_xlog', 'compression',
  'config_file', 'copy_stats', 'deduplicated_size', 'end_offset', 'end_time', 'end_wal', 'end_xlog', 'error',
  'hba_file', 'ident_file', 'included_files', 'mode', 'pgdata', 'server_name', 'size', 'snapshots_info',
  'status', 'systemid', 'tablespaces', 'timeline', 'version', 'xlog_segment_size',
];
const BACKUP_INFO_FIELDS_3_11 = ['children_backup_ids', 'cluster_size', 'data_checksums', 'parent_backup_id', 'summarize_wal'];
const BACKUP_INFO_FIELDS_3_14 = ['encryption'];

export interface BarmanCapabilities {
  version: BarmanVersion;
  /** The backup.info fields this Barman can load; any other makes it fail. */
  backupInfoFields: ReadonlySet<string>;
  /** The WAL catalogue's file name inside the server's wals directory. */
  xlogdbFileName(server: string): string;
  /** Whether the configuration may (and should) name the catalogue's directory. */
  hasXlogdbDirectorySetting: boolean;
  /** rebuild-xlogdb runs the `file` command on every WAL file. */
  needsFileCommand: boolean;
  /** The catalogue's `gzip` entries start one external gzip per segment; `pygzip` would not. */
  gzipIsExternalProcess: boolean;
}

export function barmanCapabilities(version: BarmanVersion): BarmanCapabilities {
  const fields = [...BACKUP_INFO_FIELDS_3_4];
  if (atLeast(version, 3, 11)) fields.push(...BACKUP_INFO_FIELDS_3_11);
  if (atLeast(version, 3, 14)) fields.push(...BACKUP_INFO_FIELDS_3_14);
  const renamedCatalogue = atLeast(version, 3, 13);
  return {
    version,
    backupInfoFields: new Set(fields),
    xlogdbFileName: (server) => (renamedCatalogue ? `${server}-xlog.db` : 'xlog.db'),
    hasXlogdbDirectorySetting: renamedCatalogue,
    needsFileCommand: atLeast(version, 3, 14),
    gzipIsExternalProcess: !atLeast(version, 3, 16),
  };
}
