import assert from 'node:assert/strict';
import type { BackupInfo } from '../../../src/core/backup-info';
import { byEndTime, recoverableWindows, summariseBackup, tarCompression, timelineScopes } from '../../../src/core/backup-overview';

function backup(backupId: string, endTime: string | null, beginWal: string, overrides: Partial<BackupInfo> = {}): BackupInfo {
  return {
    backupId,
    status: 'DONE',
    beginTime: endTime,
    endTime,
    beginWal,
    endWal: beginWal,
    beginXlog: null,
    endXlog: null,
    timeline: parseInt(beginWal.slice(0, 8), 16),
    segmentSize: 16 * 1024 * 1024,
    pgVersion: 15,
    versionNum: 150018,
    systemId: '1',
    tablespaces: [],
    mode: null,
    compression: null,
    encryption: null,
    parentBackupId: null,
    snapshotProvider: null,
    error: null,
    ...overrides,
  };
}

function segs(timeline: number, ...numbers: number[]): string[] {
  const hex8 = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
  return numbers.map((n) => `${hex8(timeline)}00000000${hex8(n)}`);
}

const B1 = backup('20261124T230024', '2026-11-24T23:00:27.990436Z', '000000010000000000000004');
const B2 = backup('20261124T230033', '2026-11-24T23:00:38.065574Z', '000000010000000000000007');

describe('core/backup-overview', () => {
  describe('summariseBackup', () => {
    it('adds up the tar objects and names their compression', () => {
      const summary = summariseBackup(B1, [
        { size: 100, compression: 'gzip' },
        { size: 50, compression: 'gzip' },
      ]);
      assert.equal(summary.tarObjects, 2);
      assert.equal(summary.tarBytes, 150);
      assert.equal(summary.compression, 'gzip');
      assert.equal(summary.endTime, B1.endTime);
      assert.equal(summary.timeline, 1);
    });

    it('says why an incremental backup cannot be restored, and does not start a recoverable window from it', () => {
      const incremental = backup('20261124T230033', '2026-11-24T23:00:38.065574Z', '000000010000000000000007', { parentBackupId: B1.backupId });
      assert.match(summariseBackup(incremental, []).unrestorable ?? '', /^incremental backup: .*parent 20261124T230024/);
      assert.equal(summariseBackup(B1, []).unrestorable, null);
      const [scope] = timelineScopes([incremental, B1], segs(1, 4, 5, 6, 7, 8));
      assert.equal(scope!.oldestBackup, B1);
      assert.equal(timelineScopes([incremental], segs(1, 7, 8))[0]!.oldestBackup, null);
    });

    it('says mixed when the tars differ and nothing when there are none', () => {
      assert.equal(tarCompression([{ size: 1, compression: 'gzip' }, { size: 1, compression: 'none' }]), 'mixed');
      assert.equal(tarCompression([{ size: 1, compression: 'bzip2' }]), 'bzip2');
      assert.equal(tarCompression([{ size: 1, compression: 'none' }]), 'none');
      assert.equal(tarCompression([]), null);
    });

    it('orders by end time, unfinished backups last', () => {
      const rows = [
        { id: 'c', endTime: null },
        { id: 'b', endTime: '2026-11-24T23:00:38.065574Z' },
        { id: 'a', endTime: '2026-11-24T23:00:27.990436Z' },
      ];
      assert.deepEqual(rows.sort(byEndTime).map((r) => r.id), ['a', 'b', 'c']);
    });
  });

  describe('timelineScopes', () => {
    it('checks holes from the oldest completed backup on, ignoring older segments', () => {
      const [scope, ...rest] = timelineScopes([B2, B1], segs(1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
      assert.equal(rest.length, 0);
      assert.equal(scope!.timeline, 1);
      assert.equal(scope!.oldestBackup, B1);
      assert.equal(scope!.from, '000000010000000000000004');
      assert.equal(scope!.segments.length, 7);
      assert.equal(scope!.archivedSegments, 10);
      assert.equal(scope!.firstArchived, '000000010000000000000001');
      assert.equal(scope!.lastArchived, '00000001000000000000000A');
      assert.deepEqual(scope!.holes, []);
      assert.equal(scope!.pgVersion, 15);
    });

    it('finds a hole after the oldest backup', () => {
      const [scope] = timelineScopes([B1], segs(1, 4, 5, 8, 9));
      assert.deepEqual(scope!.holes.map((h) => h.firstMissing), ['000000010000000000000006']);
    });

    it('skips failed backups when choosing where the window starts', () => {
      const failed = backup('20261124T220000', '2026-11-24T22:00:00.000000Z', '000000010000000000000002', { status: 'FAILED' });
      const [scope] = timelineScopes([failed, B2], segs(1, 2, 3, 7, 8));
      assert.equal(scope!.oldestBackup, B2);
      assert.equal(scope!.from, '000000010000000000000007');
      assert.deepEqual(scope!.holes, []);
    });

    it('gives each timeline its own scope; a timeline without a backup starts at its first segment', () => {
      const scopes = timelineScopes([B1], [...segs(1, 4, 5, 6), ...segs(2, 6, 8)]);
      assert.deepEqual(scopes.map((s) => s.timeline), [1, 2]);
      assert.equal(scopes[1]!.oldestBackup, null);
      assert.equal(scopes[1]!.from, '000000020000000000000006');
      assert.deepEqual(scopes[1]!.holes.map((h) => h.firstMissing), ['000000020000000000000007']);
      assert.equal(scopes[1]!.pgVersion, 15, 'pg_waldump version from any backup');
    });

    it('reports a backup whose WAL was never archived as a hole at its begin_wal', () => {
      const [scope] = timelineScopes([B1], segs(1, 6, 7));
      assert.equal(scope!.holes[0]!.after, null);
      assert.equal(scope!.holes[0]!.firstMissing, '000000010000000000000004');
    });
  });

  describe('runs between holes', () => {
    it('is one run without holes, starting from the oldest backup', () => {
      const [scope] = timelineScopes([B1, B2], segs(1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
      assert.deepEqual(
        scope!.runs.map((r) => [r.first, r.last, r.backup?.backupId]),
        [['000000010000000000000004', '00000001000000000000000A', B1.backupId]],
      );
    });

    it('splits at holes; each run gets the oldest backup whose WAL lies inside it', () => {
      const [scope] = timelineScopes([B1, B2], segs(1, 4, 5, 7, 8, 10));
      assert.deepEqual(
        scope!.runs.map((r) => [r.first, r.last, r.backup?.backupId ?? null]),
        [
          ['000000010000000000000004', '000000010000000000000005', B1.backupId],
          ['000000010000000000000007', '000000010000000000000008', B2.backupId],
          ['00000001000000000000000A', '00000001000000000000000A', null],
        ],
      );
    });

    it('gives no backup to a run that lacks part of the backup\'s own WAL', () => {
      const spanning = backup('20261124T230024', B1.endTime, '000000010000000000000004', { endWal: '000000010000000000000006' });
      const [scope] = timelineScopes([spanning], segs(1, 4, 5, 7));
      assert.deepEqual(scope!.runs.map((r) => r.backup), [null, null]);
    });
  });

  describe('recoverableWindows', () => {
    const [scope] = timelineScopes([B1, B2], segs(1, 4, 5, 6, 7, 8, 9, 10));
    const last = (commit: string | null) => [{ commit, segment: commit ? '00000001000000000000000A' : null }];

    it('runs from the end of the oldest completed backup to the last archived commit', () => {
      assert.deepEqual(recoverableWindows(scope!, last('2026-11-24T23:00:43.582722Z')), {
        windows: [{ from: B1.endTime, fromBackup: B1.backupId, fromTimeline: 1, to: '2026-11-24T23:00:43.582722Z', toSegment: '00000001000000000000000A' }],
        notes: [],
      });
    });

    it('has no window without a commit after the backup', () => {
      for (const commit of [null, B1.endTime, '2026-11-24T23:00:00.000000Z']) {
        const verdict = recoverableWindows(scope!, last(commit));
        assert.deepEqual(verdict.windows, []);
        assert.match(verdict.notes[0]!, /no commit archived after the end of backup 20261124T230024/);
      }
    });

    it('gives one window per run with a backup when holes split the WAL, and says what cannot be restored', () => {
      const [split] = timelineScopes([B1, B2], segs(1, 4, 5, 7, 8, 10));
      const verdict = recoverableWindows(split!, [
        { commit: '2026-11-24T23:00:31.270344Z', segment: '000000010000000000000005' },
        { commit: '2026-11-24T23:00:41.526337Z', segment: '000000010000000000000008' },
        { commit: '2026-11-24T23:00:43.582722Z', segment: '00000001000000000000000A' },
      ]);
      assert.deepEqual(
        verdict.windows.map((w) => [w.fromBackup, w.to]),
        [
          [B1.backupId, '2026-11-24T23:00:31.270344Z'],
          [B2.backupId, '2026-11-24T23:00:41.526337Z'],
        ],
      );
      assert.deepEqual(verdict.notes, [
        'WAL 000000010000000000000006 is missing (after 000000010000000000000005): replay cannot cross it',
        'WAL 000000010000000000000009 is missing (after 000000010000000000000008): replay cannot cross it',
        'no completed backup begins in the WAL 00000001000000000000000A..00000001000000000000000A: the times it covers cannot be restored',
      ]);
    });

    it('has no window on a timeline without a completed backup', () => {
      const [, tl2] = timelineScopes([B1], [...segs(1, 4), ...segs(2, 6, 8)]);
      const verdict = recoverableWindows(tl2!, [{ commit: null, segment: null }, { commit: '2026-11-24T23:30:00.000000Z', segment: null }]);
      assert.deepEqual(verdict.windows, []);
      assert.match(verdict.notes.join('\n'), /WAL 000000020000000000000007 is missing/);
      assert.match(verdict.notes.join('\n'), /no completed backup on timeline 2/);
    });
  });
});
