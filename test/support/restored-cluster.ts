// Starts PostgreSQL on a restored data directory, as a person would, and reads from it: the marker
// rows, or whatever queries a suite needs (e.g. a checksum of a table's content).
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { queryPostgres, startPostgres, stopPostgres, waitForRecoveryEnd, type PostgresInstance } from '../../src/io/postgres-instance';
import { loadWorkerSettings, pgBinDir, type WorkerSettings } from '../../src/settings';
import type { HeldServer } from '../../src/shared';

/** Runs `sql` (each a single statement; psql's unaligned output, rows joined by newlines) on the started, restored cluster. */
export async function queryRestoredCluster(destination: string, pgMajor: number, sql: string[]): Promise<string[]> {
  const logFile = join(tmpdir(), `pitr-check-${randomUUID()}.log`);
  // As the worker would run it: its bin folder and its user (PITR_BARMAN_USER or the settings' default).
  const settings = loadWorkerSettings();
  const instance = await startPostgres({
    pgBinDir: pgBinDir(settings, pgMajor),
    dataDir: destination,
    user: settings.barmanUser,
    logFile,
  });
  let ok = false;
  try {
    await waitForRecoveryEnd(instance, { pollMs: 200, timeoutMs: 120_000 });
    const results: string[] = [];
    for (const statement of sql) results.push(await queryPostgres(instance, statement));
    ok = true;
    return results;
  } finally {
    await stopPostgres(instance);
    // The server's log is kept only when something went wrong.
    if (ok) await rm(logFile, { force: true });
  }
}

export const MARKERS_SQL = 'select label from markers order by label';
/** A content checksum of the pgbench data the fixture loaded: identical restores give identical sums. */
export const PGBENCH_ACCOUNTS_MD5_SQL = "select md5(string_agg(aid::text || ':' || abalance, ',' order by aid)) || ' ' || count(*) from pgbench_accounts";

export function markerLabels(rows: string): string[] {
  return rows === '' ? [] : rows.split('\n').sort();
}

export async function queryRestoredMarkers(destination: string, pgMajor: number): Promise<string[]> {
  const [rows] = await queryRestoredCluster(destination, pgMajor, [MARKERS_SQL]);
  return markerLabels(rows);
}

/** Runs `sql` on a held restore's server, as a person would with the connection it printed (its socket folder, as the Barman user). */
export async function queryHeld(harness: { settings: WorkerSettings; fixture: { pgMajor: number } }, server: HeldServer, sql: string): Promise<string> {
  const instance = { pgBinDir: pgBinDir(harness.settings, harness.fixture.pgMajor), socketDir: server.socketDir, port: server.port, user: server.user } as PostgresInstance;
  return queryPostgres(instance, sql);
}

/** The marker rows a held restore's server shows. */
export async function heldMarkers(harness: { settings: WorkerSettings; fixture: { pgMajor: number } }, server: HeldServer): Promise<string[]> {
  return markerLabels(await queryHeld(harness, server, MARKERS_SQL));
}
