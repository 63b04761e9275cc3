// What an ended restore left in its work area, read (never written) by `pitr status` when that area is on
// the host the CLI runs on: what the downloads journal records as complete, and whether the base backup is
// extracted. A resume skips exactly what the journal records (src/io/download-journal.ts), so that is the
// number a person wants before deciding between resuming and starting again.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
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
  for (const entry of journalEntries(text).values()) {
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

/** The journal's complete records by local path (a later record of a path replaces an earlier one, as on resume). */
export function journalEntries(text: string): Map<string, { key: string; size: number }> {
  const entries = new Map<string, { key: string; size: number }>();
  // The last line may be torn by a crash: only lines ended by a newline count, as for the worker.
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  for (const line of complete.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as { key?: unknown; size?: unknown; path?: unknown };
      if (typeof v.key === 'string' && typeof v.size === 'number' && typeof v.path === 'string') entries.set(v.path, { key: v.key, size: v.size });
    } catch {
      // an unreadable line is an object the worker would fetch again
    }
  }
  return entries;
}
