// Any record from `pg_waldump` output (no -r filter), for targets found by reading WAL: the end of a
// transaction (xid) or a named restore point. Real lines (PostgreSQL 15):
//   rmgr: XLOG        len (rec/tot):     98/    98, tx:        724, lsn: 0/015165D8, prev 0/01516598, desc: RESTORE_POINT my-point
//   rmgr: Transaction len (rec/tot):     66/    66, tx:        723, lsn: 0/015006D0, prev 0/01500630, desc: COMMIT 2026-11-24 23:32:54.927196 UTC; …
import { formatLsn, parseLsn } from './wal-names';

export interface WalRecord {
  rmgr: string;
  xid: string;
  lsn: string;
  desc: string;
}

const RECORD_LINE = /^rmgr: (\S+)\s+len \(rec\/tot\):\s*\d+\/\s*\d+, tx:\s*(\d+), lsn: ([0-9A-Fa-f]+\/[0-9A-Fa-f]+), prev [0-9A-Fa-f]+\/[0-9A-Fa-f]+, desc: (.*)$/;

export function parseWalRecords(output: string): WalRecord[] {
  const records: WalRecord[] = [];
  for (const line of output.split(/\r?\n/)) {
    const m = RECORD_LINE.exec(line.trim());
    if (m) records.push({ rmgr: m[1], xid: m[2], lsn: formatLsn(parseLsn(m[3])), desc: m[4] });
  }
  return records;
}

/** The commit or abort record ending transaction `xid` (prepared ones included). */
export function findTransactionEnd(records: WalRecord[], xid: string): WalRecord | undefined {
  return records.find((r) => r.rmgr === 'Transaction' && /^(COMMIT|ABORT)(_PREPARED)?\b/.test(r.desc) && transactionOf(r) === xid);
}

/** Prepared commits/aborts name the prepared transaction in their description; others are the record's own. */
function transactionOf(record: WalRecord): string {
  const prepared = /^(?:COMMIT|ABORT)_PREPARED (\d+):/.exec(record.desc);
  return prepared ? prepared[1] : record.xid;
}

export function findRestorePoint(records: WalRecord[], name: string): WalRecord | undefined {
  return records.find((r) => r.rmgr === 'XLOG' && r.desc === `RESTORE_POINT ${name}`);
}
