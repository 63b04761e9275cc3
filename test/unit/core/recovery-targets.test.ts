import assert from 'node:assert/strict';
import type { BackupInfo } from '../../../src/core/backup-info';
import {
  describeOtherTarget,
  parseTargetAction,
  parseTargetLsn,
  parseTargetName,
  parseTargetTimeline,
  parseTargetXid,
  selectBackupForOtherTarget,
} from '../../../src/core/recovery-targets';
import { findRestorePoint, findTransactionEnd, parseWalRecords } from '../../../src/core/wal-records';

function backup(backupId: string, endXlog: string | null, status = 'DONE'): BackupInfo {
  return { backupId, status, endXlog, mode: null, compression: null, encryption: null, parentBackupId: null, snapshotProvider: null } as BackupInfo;
}

describe('recovery targets other than time', () => {
  it('parses LSNs, xids, names, actions and timelines, refusing bad ones with an example', () => {
    assert.deepEqual(parseTargetLsn('0/3000028'), { kind: 'lsn', lsn: '0/3000028' });
    assert.deepEqual(parseTargetLsn(' 1/0A0000F0 '), { kind: 'lsn', lsn: '1/A0000F0' });
    assert.throws(() => parseTargetLsn('3000028'), /not a WAL location; give it as PostgreSQL prints it, e\.g\. 0\/3000028/);
    assert.deepEqual(parseTargetXid('7252'), { kind: 'xid', xid: '7252' });
    assert.throws(() => parseTargetXid('-3'), /not a positive whole number/);
    assert.throws(() => parseTargetXid('0'), /not a positive whole number/);
    assert.deepEqual(parseTargetName('before-upgrade'), { kind: 'name', name: 'before-upgrade' });
    assert.throws(() => parseTargetName('x'.repeat(64)), /1 to 63 bytes/);
    // Barman writes the name unescaped into postgresql.auto.conf: a quote, a backslash or a line break would end it.
    assert.throws(() => parseTargetName("it's"), /restore point name "it's" holds "'", which Barman would write unescaped.*--target-lsn/);
    assert.throws(() => parseTargetName("x'\nrestore_command='touch /tmp/owned"), /holds "'", "\\n"/);
    assert.throws(() => parseTargetName('back\\slash'), /holds "\\\\"/);
    assert.deepEqual(parseTargetName('before upgrade: v2 "final"'), { kind: 'name', name: 'before upgrade: v2 "final"' });
    assert.throws(() => parseTargetName(''), /1 to 63 bytes/);
    assert.equal(parseTargetAction('promote'), 'promote');
    assert.throws(() => parseTargetAction('resume'), /not one of pause, promote, shutdown/);
    assert.equal(parseTargetTimeline('2'), 2);
    assert.throws(() => parseTargetTimeline('latest'), /not a timeline number/);
    assert.equal(describeOtherTarget({ kind: 'name', name: 'p' }), 'restore point "p"');
  });

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

  it('finds the end of a transaction and a restore point in real pg_waldump output', () => {
    const output = [
      'rmgr: Heap        len (rec/tot):     59/    59, tx:        724, lsn: 0/01516598, prev 0/01516560, desc: INSERT+INIT off 1 flags 0x00, blkref #0: rel 1663/5/16384 blk 0',
      'rmgr: XLOG        len (rec/tot):     98/    98, tx:        724, lsn: 0/015165D8, prev 0/01516598, desc: RESTORE_POINT my-point',
      'rmgr: Transaction len (rec/tot):     66/    66, tx:        723, lsn: 0/015006D0, prev 0/01500630, desc: COMMIT 2026-11-24 23:32:54.927196 UTC; inval msgs: snapshot 2396',
      'rmgr: Transaction len (rec/tot):     34/    34, tx:          0, lsn: 0/01516700, prev 0/01516680, desc: COMMIT_PREPARED 731: 2026-11-24 23:32:56.000000 UTC',
      'pg_waldump: error: error in WAL record at 0/1516680: invalid record length at 0/1516818: wanted 24, got 0',
    ].join('\n');
    const records = parseWalRecords(output);
    assert.equal(records.length, 4);
    assert.equal(findRestorePoint(records, 'my-point')?.lsn, '0/15165D8');
    assert.equal(findRestorePoint(records, 'my'), undefined);
    assert.equal(findTransactionEnd(records, '723')?.lsn, '0/15006D0');
    assert.equal(findTransactionEnd(records, '731')?.lsn, '0/1516700');
    assert.equal(findTransactionEnd(records, '724'), undefined, 'an insert is not the end of its transaction');
  });
});
