import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadWorkerSettings, pgBinDir, settingsEnvironment } from '../../src/settings';

describe('settings', () => {
  const made: string[] = [];
  const settingsFile = (text: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'pitr-settings-'));
    made.push(dir);
    const file = join(dir, 'pitr.env');
    writeFileSync(file, text);
    return file;
  };
  after(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('has production defaults', () => {
    const settings = loadWorkerSettings({});
    assert.equal(settings.taskQueue, 'pitr');
    assert.equal(settings.workRoot, '/var/lib/pitr');
    assert.equal(settings.barmanUser, 'postgres');
    assert.equal(settings.partSizeBytes, 16 * 1024 * 1024);
    assert.equal(settings.metricsAddress, undefined);
    assert.equal(settings.logFormat, 'json');
    assert.equal(settings.barmanBin, 'barman');
    assert.equal(pgBinDir(settings, 15), '/usr/lib/postgresql/15/bin');
  });

  it('takes a bin folder per PostgreSQL major ahead of the pattern, and refuses a major that is not installed', () => {
    const fakeBin = mkdtempSync(join(tmpdir(), 'pitr-pgbin-'));
    made.push(fakeBin);
    for (const tool of ['pg_waldump', 'postgres', 'pg_ctl', 'psql']) writeFileSync(join(fakeBin, tool), '#!/bin/sh\n', { mode: 0o755 });
    const settings = loadWorkerSettings({ PITR_PG_BIN_DIR_17: fakeBin, PITR_PG_BIN_DIR: '/nonexistent/pg{major}/bin' });
    assert.equal(pgBinDir(settings, 17), fakeBin);
    assert.throws(
      () => pgBinDir(settings, 16),
      (err: Error & { type?: string }) =>
        err.type === 'ToolMissing' &&
        /needs PostgreSQL 16, but \/nonexistent\/pg16\/bin \(from PITR_PG_BIN_DIR=\/nonexistent\/pg\{major\}\/bin\) lacks pg_waldump, postgres, pg_ctl, psql/.test(err.message) &&
        /set PITR_PG_BIN_DIR_16/.test(err.message),
    );
  });

  it('rejects a bad number or choice, naming the variable and what is accepted', () => {
    assert.throws(() => loadWorkerSettings({ PITR_DOWNLOAD_CONCURRENCY: 'many' }), /PITR_DOWNLOAD_CONCURRENCY="many" is not a positive whole number \(default 16\)/);
    assert.throws(() => loadWorkerSettings({ PITR_PART_SIZE_MB: '0' }), /PITR_PART_SIZE_MB/);
    assert.throws(() => loadWorkerSettings({ PITR_LOG_FORMAT: 'xml' }), /PITR_LOG_FORMAT="xml" is not one of json, text/);
  });

  it('reads a settings file under the environment, which wins', () => {
    const file = settingsFile('# worker on db-backup-1\nPITR_TASK_QUEUE=db-backup-1\nexport PITR_BUCKET="prod-backups"\nPITR_PART_CONCURRENCY=8\n');
    const settings = loadWorkerSettings(settingsEnvironment({ PITR_CONFIG: file, PITR_PART_CONCURRENCY: '2' }));
    assert.equal(settings.taskQueue, 'db-backup-1');
    assert.equal(settings.bucket, 'prod-backups');
    assert.equal(settings.partConcurrency, 2);
  });

  it('refuses a settings file line it does not understand, naming the line', () => {
    const file = settingsFile('PITR_BUCKET=b\nAWS_SECRET_ACCESS_KEY=x\n');
    assert.throws(() => settingsEnvironment({ PITR_CONFIG: file }), /line 2: expected PITR_NAME=value/);
    assert.throws(() => settingsEnvironment({ PITR_CONFIG: '/nonexistent/pitr.env' }), /PITR_CONFIG=\/nonexistent\/pitr.env cannot be read/);
  });
});
