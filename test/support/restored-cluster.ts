// Starts PostgreSQL on a restored data directory, as a person would, and reads the marker rows.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { queryPostgres, startPostgres, stopPostgres, waitForRecoveryEnd } from '../../src/io/postgres-instance';
import { pgBinDir } from '../../src/settings';

export async function queryRestoredMarkers(destination: string, pgMajor: number): Promise<string[]> {
  const instance = await startPostgres({
    pgBinDir: pgBinDir(process.env.PITR_PG_BIN_DIR || '/usr/lib/postgresql/{major}/bin', pgMajor),
    dataDir: destination,
    user: process.env.PITR_BARMAN_USER || 'postgres',
    logFile: join(tmpdir(), `pitr-check-${randomUUID()}.log`),
  });
  try {
    await waitForRecoveryEnd(instance, { pollMs: 200, timeoutMs: 120_000 });
    const rows = await queryPostgres(instance, 'select label from markers order by label');
    return rows === '' ? [] : rows.split('\n').sort();
  } finally {
    await stopPostgres(instance);
  }
}
