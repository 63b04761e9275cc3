// What an ended restore left in its work area, read (never written) by `pitr status` when that area is on
// the host the CLI runs on: what the downloads journal records as complete, and whether the base backup is
// extracted. A resume skips exactly what the journal records (src/io/download-journal.ts), so that is the
// number a person wants before deciding between resuming and starting again.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseJournal } from './download-journal';
import { backupDir, type WorkDirLayout } from './work-dir';

export interface WorkAreaContents {
  path: string;
  exists: boolean;
  /** Why the area could not be read (permissions: it is private to the worker's user), when it could not. */
  unreadable?: string;
  /** Objects of the base backup (tarballs, backup.info) the journal records as complete. */
  baseObjects: number;
  baseBytes: number;
  /** WAL segments and history files the journal records as complete. */
  walSegments: number;
  walBytes: number;
  /** Whether the planned backup's data directory is extracted in the Barman home (null: no backup id known). */
  extractedBackup: boolean | null;
}

export async function readWorkAreaContents(layout: WorkDirLayout, server: string, backupId: string | undefined): Promise<WorkAreaContents> {
  const contents: WorkAreaContents = { path: layout.root, exists: false, baseObjects: 0, baseBytes: 0, walSegments: 0, walBytes: 0, extractedBackup: null };
  try {
    await stat(layout.root);
    contents.exists = true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') contents.unreadable = String(code);
    return contents;
  }
  let text = '';
  try {
    text = await readFile(layout.journal, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') contents.unreadable = `${layout.journal}: ${code}`;
  }
  // Read as the worker reads it: complete lines only, the last record of a path wins.
  for (const entry of parseJournal(text).values()) {
    // barman-cloud keys: <prefix>/<server>/wals/... for WAL, <prefix>/<server>/base/<id>/... for the backup.
    if (/(^|\/)wals\//.test(entry.key)) {
      contents.walSegments++;
      contents.walBytes += entry.size;
    } else {
      contents.baseObjects++;
      contents.baseBytes += entry.size;
    }
  }
  if (backupId) {
    contents.extractedBackup = await stat(join(backupDir(layout, server, backupId), 'data')).then(
      (s) => s.isDirectory(),
      () => false,
    );
  }
  return contents;
}
