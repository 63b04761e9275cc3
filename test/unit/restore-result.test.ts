import assert from 'node:assert/strict';
import { describeResult } from '../../src/cli/restore';
import type { RestoreResult } from '../../src/shared';

describe("pitr restore's result", () => {
  const result: RestoreResult = {
    restoreId: 'pitr-pg-1',
    destination: '/srv/restore/pg',
    plan: {
      backupId: '20261201T010250',
      backupReason: 'the newest backup ended before the target',
      backupEndTime: '2026-12-01T01:02:55Z',
      timeline: 1,
      targetTimeline: 1,
      timelineSwitches: [],
      stopLsn: '0/6000150',
      pgVersion: 15,
      segmentSize: 16 * 1024 * 1024,
      beginWal: '000000010000000000000004',
      endWal: '000000010000000000000006',
      walSegments: 3,
      walBytes: 3 * 16 * 1024 * 1024,
      historyFiles: 0,
      baseObjects: 1,
      baseBytes: 5_600_000,
      workDir: '/var/lib/pitr/restores/pg-1',
    },
    base: { objects: 1, objectsSkipped: 0, bytesFetched: 5_600_000, bytesTotal: 5_600_000 },
    wal: { objects: 3, objectsSkipped: 0, bytesFetched: 1_000_000, bytesTotal: 1_000_000 },
    walFilesRegistered: 3,
    verify: {
      state: 'paused',
      lastReplayedCommit: '2026-12-01T01:03:14.000000Z',
      timeline: 1,
      stoppedAt: { lsn: '0/6000150', timeline: 1, description: 'before commit of transaction 752 (2026-12-01T01:03:15.123456Z)' },
      overriddenSettings: [],
    },
  };

  it("names the backup configuration's settings verify ran without, with their values but any that may hold a password", () => {
    const text = describeResult({
      ...result,
      verify: {
        ...result.verify,
        overriddenSettings: [
          { name: 'shared_preload_libraries', configured: 'pg_stat_statements,\u001b[2Jtimescaledb', value: '' },
          { name: 'primary_conninfo', value: '' },
        ],
      },
    });
    const line = text.split('\n').find((l) => l.includes('verify ran PostgreSQL without'));
    assert.equal(
      line,
      "  verify ran PostgreSQL without these settings of the backup's configuration, which the restored files keep (check them before starting it): " +
        "shared_preload_libraries = 'pg_stat_statements,[2Jtimescaledb', primary_conninfo (value not shown)",
    );
  });

  it('says where replay stopped, on which timeline, and the timeline a promotion started', () => {
    const paused = describeResult({ ...result, verify: { ...result.verify, stoppedAt: { lsn: '0/6000150', timeline: 1, description: 'before commit of transaction 752 (2026-12-01T01:03:15.123456Z)' } } });
    assert.match(paused, /\n {2}PostgreSQL paused at the target \(replay stopped before commit of transaction 752 \(2026-12-01T01:03:15\.123456Z\) at 0\/6000150, on timeline 1\); last replayed commit 2026-12-01T01:03:14\.000000Z\n/);
    const promoted = describeResult({ ...result, verify: { state: 'promoted', lastReplayedCommit: null, timeline: 2, stoppedAt: { lsn: '0/6000150', timeline: 1, description: 'after reaching consistency' }, overriddenSettings: [] } });
    assert.match(promoted, /PostgreSQL promoted at the target \(replay stopped after reaching consistency at 0\/6000150, on timeline 1; now on timeline 2\)/);
  });

  it('says nothing of them when there were none, or the worker did not report them', () => {
    assert.doesNotMatch(describeResult({ ...result, verify: { ...result.verify, overriddenSettings: [] } }), /without these settings/);
    assert.doesNotMatch(describeResult(result), /without these settings/);
  });

  it('says how much of the base backup was copied from another restore on this host, and nothing when none was', () => {
    const copied = describeResult({ ...result, base: { ...result.base, bytesFetched: 0, reused: { objects: 2, bytes: 5 * 1024 * 1024 } } });
    assert.match(copied, /\n {2}base backup: .*, 0 B fetched by this run, 5\.0 MiB copied from another restore on this host\n/);
    assert.doesNotMatch(describeResult(result), /copied from another restore/);
    const linked = describeResult({ ...result, base: { ...result.base, bytesFetched: 0, reused: { objects: 2, bytes: 5 * 1024 * 1024, linkedDirectories: 2 } } });
    assert.match(linked, /\n {2}base backup: .*, 0 B fetched by this run, 5\.0 MiB reused from another restore on this host \(its 2 extracted directories linked, not extracted again\)\n/);
  });
});
