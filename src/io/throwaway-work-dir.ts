// A work area in a temporary directory, for planning that must leave no trace (`pitr backups`,
// `pitr plan`): the WAL read with pg_waldump is downloaded and decompressed there, never into the
// worker's Barman home nor a destination, and the whole directory is removed afterwards.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openJournal, type DownloadJournal } from './download-journal';
import { workDirLayout, type WorkDirLayout } from './work-dir';

export interface ThrowAwayWorkDir {
  layout: WorkDirLayout;
  journal: DownloadJournal;
}

/** Runs `body` with a fresh work area in the system's temporary directory, then removes it. */
export async function withThrowAwayWorkDir<T>(body: (area: ThrowAwayWorkDir) => Promise<T>): Promise<T> {
  const root = await mkdtemp(join(tmpdir(), 'pitr-dry-run-'));
  try {
    const layout = workDirLayout(root);
    const journal = await openJournal(layout.journal);
    try {
      return await body({ layout, journal });
    } finally {
      await journal.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
