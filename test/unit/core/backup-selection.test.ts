import assert from 'node:assert/strict';
import type { BackupInfo } from '../../../src/core/backup-info';
import { BackupNotConsistentAtTargetError, NoBackupForTargetError, selectBackupForOtherTarget, selectBackupForTime, UnsupportedBackupError } from '../../../src/core/backup-selection';
import { parseTargetLsn, parseTargetName, parseTargetXid } from '../../../src/core/recovery-target';

function backup(backupId: string, endTime: string | null, status = 'DONE'): BackupInfo {
  return {
    backupId,
    status,
    beginTime: null,
    endTime,
    beginWal: '000000010000000000000026',
    endWal: '000000010000000000000026',
    beginXlog: '0/26000028',
    endXlog: '0/26001D98',
    timeline: 1,
    segmentSize: 16_777_216,
    pgVersion: 15,
    versionNum: 150018,
    systemId: '7711858599026587379',
    tablespaces: [],
    mode: null,
    compression: null,
    encryption: null,
    parentBackupId: null,
    snapshotProvider: null,
    error: null,
  };
}

function failure(backups: BackupInfo[], target: string): NoBackupForTargetError {
  try {
    selectBackupForTime(backups, target);
  } catch (e) {
    assert.ok(e instanceof NoBackupForTargetError, `expected NoBackupForTargetError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected no backup to fit');
}

const B1 = backup('20261124T220731', '2026-11-24T21:51:10.000001Z');
const B2 = backup('20261124T220817', '2026-11-24T21:56:01.261324Z');
const B3 = backup('20261124T230000', '2026-11-24T23:01:00.000000Z');

describe('core/backup-selection', () => {
  it('chooses the newest completed backup ending before the target', () => {
    const choice = selectBackupForTime([B1, B3, B2], '2026-11-24T22:00:00.000000Z');
    assert.equal(choice.chosen, B2);
    assert.equal(
      choice.reason,
      'backup 20261124T220817 is the newest completed backup ending at or before the target ' +
        '2026-11-24T22:00:00.000000Z: it ends at 2026-11-24T21:56:01.261324Z',
    );
    assert.deepEqual(choice.skipped, [
      { backupId: '20261124T230000', why: 'ends at 2026-11-24T23:01:00.000000Z, after the target' },
    ]);
  });

  it('allows a target exactly at the end time, and refuses one a microsecond earlier', () => {
    const exact = selectBackupForTime([B1, B2], '2026-11-24T21:56:01.261324Z');
    assert.equal(exact.chosen, B2);
    assert.match(exact.reason, /exactly at the target, which is allowed/);
    const before = selectBackupForTime([B1, B2], '2026-11-24T21:56:01.261323Z');
    assert.equal(before.chosen, B1);
    assert.deepEqual(before.skipped, [
      { backupId: '20261124T220817', why: 'ends at 2026-11-24T21:56:01.261324Z, after the target' },
    ]);
  });

  it('orders by end time, not by id (ids are the backup host local start time)', () => {
    // Taken on a host at UTC+02: the id says 23:00 local, but it ended at 21:10 UTC, before B2.
    const early = backup('20261124T230500', '2026-11-24T21:10:00.000000Z');
    const choice = selectBackupForTime([early, B2], '2026-11-24T22:00:00.000000Z');
    assert.equal(choice.chosen, B2);
    assert.deepEqual(choice.skipped, []);
  });

  it('skips backups that are not DONE, whatever their end time', () => {
    const failed = backup('20261124T221000', '2026-11-24T21:58:00.000000Z', 'FAILED');
    const started = backup('20261124T221500', null, 'STARTED');
    const waiting = backup('20261124T220000', '2026-11-24T21:50:00.000000Z', 'WAITING_FOR_WALS');
    const choice = selectBackupForTime([failed, B1, started, B2, waiting], '2026-11-24T22:00:00.000000Z');
    assert.equal(choice.chosen, B2);
    assert.deepEqual(choice.skipped, [
      { backupId: '20261124T221000', why: 'status FAILED' },
      { backupId: '20261124T220000', why: 'status WAITING_FOR_WALS' },
      { backupId: '20261124T221500', why: 'status STARTED' },
    ]);
  });

  it('skips a DONE backup without end time', () => {
    const odd = backup('20261124T221000', null);
    const choice = selectBackupForTime([odd, B1], '2026-11-24T22:00:00.000000Z');
    assert.equal(choice.chosen, B1);
    assert.deepEqual(choice.skipped, [{ backupId: '20261124T221000', why: 'status DONE but no end_time recorded' }]);
  });

  it('breaks end-time ties by the larger id', () => {
    const twin = backup('20261124T220900', B2.endTime);
    assert.equal(selectBackupForTime([B2, twin], '2026-11-24T22:00:00.000000Z').chosen, twin);
    assert.equal(selectBackupForTime([twin, B2], '2026-11-24T22:00:00.000000Z').chosen, twin);
  });

  it('does not reorder the caller\'s array', () => {
    const list = [B1, B3, B2];
    selectBackupForTime(list, '2026-11-24T22:00:00.000000Z');
    assert.deepEqual(list, [B1, B3, B2]);
  });

  it('names the earliest reachable time when the target is before every backup end', () => {
    const e = failure([B2, B1, backup('20261124T200000', '2026-11-24T20:00:00.000000Z', 'FAILED')], '2026-11-24T21:00:00.000000Z');
    assert.equal(
      e.message,
      'no backup can reach target 2026-11-24T21:00:00.000000Z: it is before the end of every completed backup. ' +
        'The earliest reachable time is 2026-11-24T21:51:10.000001Z, the end of backup 20261124T220731; ' +
        'choose a target at or after it.',
    );
    assert.equal(e.type, 'BackupNotFound');
    assert.equal(e.target, '2026-11-24T21:00:00.000000Z');
    assert.equal(e.earliestReachable, '2026-11-24T21:51:10.000001Z');
  });

  it('says so when there is no completed backup', () => {
    const e = failure(
      [backup('20261124T220731', null, 'FAILED'), backup('20261124T220817', null, 'STARTED')],
      '2026-11-24T22:00:00.000000Z',
    );
    assert.equal(
      e.message,
      'no backup can reach target 2026-11-24T22:00:00.000000Z: there are no completed (status DONE) backups of a kind pitr restores; ' +
        'found 20261124T220817 (status STARTED), 20261124T220731 (status FAILED).',
    );
    assert.equal(e.earliestReachable, null);
  });

  it('says so when there are no backups at all', () => {
    assert.equal(
      failure([], '2026-11-24T22:00:00.000000Z').message,
      'no backup can reach target 2026-11-24T22:00:00.000000Z: the server folder holds no backups at all.',
    );
  });

  describe('backups that are not a plain data directory', () => {
    const plain = backup('20261124T200000', '2026-11-24T20:00:00.000000Z');
    const kinds: Array<[string, Partial<BackupInfo>, RegExp]> = [
      ['incremental', { parentBackupId: '20261124T200000' }, /incremental backup: .*parent 20261124T200000.*pg_combinebackup/],
      ['snapshot', { snapshotProvider: 'gcp' }, /snapshot backup: .*provider gcp.*barman-cloud-restore --snapshot-recovery-instance/],
      ['encrypted', { encryption: 'gpg' }, /encrypted backup: .*encryption=gpg.*Barman server/],
      ['server-compressed', { compression: 'gzip' }, /Barman-server backup compressed with gzip: .*backup_compression=gzip/],
    ];
    for (const [name, fields, why] of kinds) {
      it(`skips a newer ${name} backup, saying why on its "not" line`, () => {
        const other = { ...backup('20261124T210000', '2026-11-24T21:00:00.000000Z'), ...fields };
        const choice = selectBackupForTime([plain, other], '2026-11-24T22:00:00.000000Z');
        assert.equal(choice.chosen.backupId, '20261124T200000');
        assert.equal(choice.skipped.length, 1);
        assert.equal(choice.skipped[0].backupId, '20261124T210000');
        assert.match(choice.skipped[0].why, why);
      });

      it(`refuses a ${name} backup named with --backup-id, for time and other targets`, () => {
        const other = { ...backup('20261124T210000', '2026-11-24T21:00:00.000000Z'), ...fields };
        for (const attempt of [
          () => selectBackupForTime([plain, other], '2026-11-24T22:00:00.000000Z', '20261124T210000'),
          () => selectBackupForOtherTarget([plain, other], { kind: 'immediate' }, '20261124T210000'),
        ]) {
          assert.throws(attempt, (e: Error) => e instanceof UnsupportedBackupError && e.type === 'UnsupportedBackup' && /^backup 20261124T210000 cannot be restored by pitr: it /.test(e.message));
        }
      });
    }

    it('does not pick an unrestorable backup for an LSN or immediate target', () => {
      const incremental = { ...backup('20261124T210000', '2026-11-24T21:00:00.000000Z'), parentBackupId: '20261124T200000', endXlog: '0/27000000' };
      assert.equal(selectBackupForOtherTarget([plain, incremental], { kind: 'immediate' }).chosen.backupId, '20261124T200000');
    });
  });

  it('uses the backup named with --backup-id when it ends before the target, and refuses it otherwise', () => {
    const older = backup('20261124T200000', '2026-11-24T20:00:00.000000Z');
    const newer = backup('20261124T210000', '2026-11-24T21:00:00.000000Z');
    assert.equal(selectBackupForTime([older, newer], '2026-11-24T22:00:00.000000Z', '20261124T200000').chosen.backupId, '20261124T200000');
    assert.throws(() => selectBackupForTime([older, newer], '2026-11-24T20:30:00.000000Z', '20261124T210000'), /backup 20261124T210000 cannot reach target .*ends at 2026-11-24T21:00:00.000000Z, after the target/);
    assert.throws(() => selectBackupForTime([older], '2026-11-24T22:00:00.000000Z', '20261124T230000'), /backup 20261124T230000 does not exist; backups pitr can restore: 20261124T200000/);
  });
});

describe('a backup not consistent before a target time (end_time read before pg_backup_stop wrote its end)', () => {
  const facts = (lastCommitBeforeConsistency: string | null) => ({
    target: '2026-11-24T21:56:01.300000Z',
    endTime: '2026-11-24T21:56:01.261324Z',
    endXlog: '0/70011E0',
    stop: { time: '2026-11-24T21:56:01.365885Z', lsn: '0/70005D8' },
    lastCommitBeforeConsistency,
  });

  it('is a refusal to reach the target, whose earliest reachable time is the last commit before consistency', () => {
    const err = new BackupNotConsistentAtTargetError('20261124T220817', facts('2026-11-24T21:56:01.736237Z'), false);
    assert.ok(err instanceof NoBackupForTargetError);
    assert.equal(err.earliestReachable, '2026-11-24T21:56:01.736237Z');
    assert.equal(
      err.why,
      'becomes consistent only at 0/70011E0, after the commit at 2026-11-24T21:56:01.365885Z where replay would stop (0/70005D8): ' +
        'its end_time 2026-11-24T21:56:01.261324Z was read when pg_backup_stop() began, before the backup\'s last WAL was written',
    );
    assert.match(err.message, /The earliest reachable time is 2026-11-24T21:56:01.736237Z: choose a target at or after it \(no older completed backup reaches the target\)\.$/);
  });

  it('says end_time when no commit precedes consistency after it, and offers another backup when one was named', () => {
    const err = new BackupNotConsistentAtTargetError('20261124T220817', facts(null), true);
    assert.equal(err.earliestReachable, '2026-11-24T21:56:01.261324Z');
    assert.match(err.message, /choose a target at or after it, or name an older backup or leave out --backup-id\.$/);
    const earlier = new BackupNotConsistentAtTargetError('20261124T220817', facts('2026-11-24T21:50:00.000000Z'), true);
    assert.equal(earlier.earliestReachable, '2026-11-24T21:56:01.261324Z', 'never before end_time, which the choice by end_time requires');
  });
});

describe('backup selection for a target other than a time', () => {
  function backup(backupId: string, endXlog: string | null, status = 'DONE'): BackupInfo {
    return { backupId, status, endXlog, mode: null, compression: null, encryption: null, parentBackupId: null, snapshotProvider: null } as BackupInfo;
  }

  it('picks the newest DONE backup ending at or before an LSN (equality included)', () => {
    const backups = [backup('b1', '0/4000100'), backup('b2', '0/7000200'), backup('b3', '0/9000000', 'FAILED')];
    assert.equal(selectBackupForOtherTarget(backups, parseTargetLsn('0/7000200')).chosen.backupId, 'b2');
    assert.equal(selectBackupForOtherTarget(backups, parseTargetLsn('0/70001FF')).chosen.backupId, 'b1');
    assert.equal(selectBackupForOtherTarget(backups, parseTargetLsn('0/A000000')).chosen.backupId, 'b2');
    assert.throws(() => selectBackupForOtherTarget(backups, parseTargetLsn('0/4000000')), /earliest reachable LSN is 0\/4000100, the end of backup b1/);
  });

  it('picks the newest DONE backup for immediate, and demands --backup-id for an xid or a name', () => {
    const backups = [backup('b1', '0/4000100'), backup('b2', '0/7000200'), backup('b3', null, 'FAILED')];
    assert.equal(selectBackupForOtherTarget(backups, { kind: 'immediate' }).chosen.backupId, 'b2');
    assert.throws(() => selectBackupForOtherTarget(backups, parseTargetXid('9')), /needs --backup-id.*b1, b2/);
    assert.throws(() => selectBackupForOtherTarget(backups, parseTargetName('p')), /restore point "p" target needs --backup-id/);
    assert.equal(selectBackupForOtherTarget(backups, parseTargetName('p'), 'b1').chosen.backupId, 'b1');
    assert.throws(() => selectBackupForOtherTarget(backups, parseTargetName('p'), 'b3'), /status FAILED, not DONE/);
    assert.throws(() => selectBackupForOtherTarget(backups, parseTargetName('p'), 'b9'), /b9 does not exist; completed backups: b1, b2/);
  });
});
