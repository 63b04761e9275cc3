import assert from 'node:assert/strict';
import { findRestorePoint, findTransactionEnd, parseWalRecords } from '../../../src/core/wal-records';

describe('core/wal-records', () => {
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
