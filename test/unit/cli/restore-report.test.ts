// What `pitr status` says of an ended restore's work area: read on the worker's host only.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { endedRestoreReport, formatEndedReport } from '../../../src/cli/restore-report';
import type { RestoreStatus } from '../../../src/cli/restore-status';
import { restoreRecord, type RecordedEvent } from '../../../src/core/restore-record';

const T0 = Date.parse('2026-12-01T05:00:00.000Z');
const status: RestoreStatus = { id: 'pitr:pg:/srv/pg', runId: 'r', status: 'FAILED', phase: 'Stage', backupId: 'B1', progress: null, attempt: null, lastFailure: null };

function events(workDir: string, identity: string): RecordedEvent[] {
  const plan = { backupId: 'B1', beginWal: '000000010000000000000008', endWal: '000000010000000000000009', walSegments: 2, backupEndTime: 'x', workDir };
  const step = (id: number, name: string, at: number, result: unknown): RecordedEvent[] => [
    { kind: 'activityScheduled', eventId: id, at, activity: name, taskQueue: 'host-a' },
    { kind: 'activityStarted', scheduledEventId: id, at: at + 10, attempt: 1, identity },
    { kind: 'activityCompleted', scheduledEventId: id, at: at + 500, result },
  ];
  return [
    { kind: 'workflowStarted', at: T0, taskQueue: 'host-a', input: { server: 'pg', destination: '/srv/pg', taskQueue: 'host-a' } },
    ...step(5, 'planRestore', T0 + 100, plan),
    ...step(9, 'syncAndExtractBaseBackup', T0 + 1000, { objects: 2, objectsSkipped: 0, bytesFetched: 3072, bytesTotal: 3072 }),
    ...step(13, 'syncWalRange', T0 + 2000, { objects: 2, objectsSkipped: 0, bytesFetched: 2048, bytesTotal: 2048 }),
    { kind: 'activityScheduled', eventId: 17, at: T0 + 3000, activity: 'stageAndRebuildXlogdb', taskQueue: 'host-a' },
    { kind: 'activityStarted', scheduledEventId: 17, at: T0 + 3010, attempt: 10, identity },
    { kind: 'activityFailed', scheduledEventId: 17, at: T0 + 9000, failure: { type: 'BarmanFailed', message: 'barman failed\u001b[31m red' } },
    { kind: 'workflowFailed', at: T0 + 9100, failure: { type: 'BarmanFailed', message: 'barman failed\u001b[31m red' } },
  ];
}

describe('pitr status of a failed restore: the work area', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'pitr-report-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('on this host: what the downloads journal records, and whether the backup is extracted', async () => {
    const workDir = join(root, 'restores', 'pg-x');
    await mkdir(join(workDir, 'home', 'pg', 'base', 'B1', 'data'), { recursive: true });
    const line = (key: string, size: number, path: string) => JSON.stringify({ key, etag: '"e"', size, path, inode: '1' }) + '\n';
    await writeFile(
      join(workDir, 'downloads.journal'),
      line('pg/base/B1/backup.info', 1024, `${workDir}/a`) + line('pg/base/B1/data.tar.gz', 2048, `${workDir}/b`) + line('pg/wals/0000000100000000/000000010000000000000008.gz', 1024, `${workDir}/c`) + '{"key":"torn',
    );
    const report = await endedRestoreReport(status, restoreRecord(events(workDir, '42@host-a')), { localHost: 'host-a' });
    assert.deepEqual(
      (({ path, onThisHost, baseObjects, baseBytes, walSegments, walBytes, extractedBackup }) => ({ path, onThisHost, baseObjects, baseBytes, walSegments, walBytes, extractedBackup }))(report.resume!.workArea!),
      { path: workDir, onThisHost: true, baseObjects: 2, baseBytes: 3072, walSegments: 1, walBytes: 1024, extractedBackup: true },
    );
    const text = formatEndedReport(report);
    assert.ok(text.includes(`work area ${workDir} (on this host): downloads journal: 2 base backup objects (3.0 KiB) and 1 WAL segment (1.0 KiB); backup B1 extracted`), text);
    assert.match(text, /stageAndRebuildXlogdb +failed +6\.0 s, 10 attempts: BarmanFailed/);
    assert.match(text, /pitr resume would reuse: the base backup B1 \(2 objects, 3\.0 KiB\) and 2 WAL files \(2\.0 KiB, 000000010000000000000008\.\.000000010000000000000009\)/);
    assert.ok(text.includes('failure BarmanFailed: barman failed[31m red'), 'no escape sequence reaches the terminal');
  });

  it('on another host: named, not read', async () => {
    const report = await endedRestoreReport(status, restoreRecord(events('/var/lib/pitr/restores/pg-x', '42@host-a')), { localHost: 'laptop' });
    assert.deepEqual(report.resume?.workArea, { path: '/var/lib/pitr/restores/pg-x', host: 'host-a', onThisHost: false });
    assert.match(formatEndedReport(report), /work area \/var\/lib\/pitr\/restores\/pg-x on the worker's host host-a, not this one: not read from here/);
  });

  it('on this host but gone: a resume downloads everything again', async () => {
    const report = await endedRestoreReport(status, restoreRecord(events(join(root, 'gone'), '42@host-a')), { localHost: 'host-a' });
    assert.equal(report.resume?.workArea?.exists, false);
    assert.match(formatEndedReport(report), /\(on this host\): gone/);
  });
});
