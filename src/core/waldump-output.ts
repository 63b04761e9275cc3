// Commit and abort times from `pg_waldump -r Transaction`, run with TZ=UTC. Real lines (PostgreSQL 15):
//   rmgr: Transaction len (rec/tot):     34/    34, tx:        725, lsn: 0/02015FF0, prev 0/02015FB0, desc: COMMIT 2026-11-24 22:51:37.028975 UTC
//   … desc: ABORT 2026-11-24 22:51:46.640715 UTC; rels: base/5/16390; dropped stats: 2/5/16390
//   … desc: COMMIT_PREPARED 727: 2026-11-24 22:51:37.056608 UTC
//   … desc: ABORT_PREPARED 728: 2026-11-24 22:51:37.074994 UTC
//   … desc: PREPARE gid p1: 2026-11-24 22:51:37.047695 UTC          (not an end of transaction: ignored)
// pg_waldump prints the zone with strftime's %Z, i.e. the abbreviation of its TZ: "UTC" under TZ=UTC, but
// "GMT", "CET", "+03", … elsewhere. Abbreviations are ambiguous, so anything that is not plainly UTC is refused.
// The prepared forms carry the prepared transaction's xid before the time. Recovery target time applies
// to all four record types (PostgreSQL's recoveryStopsBefore), so all four count.
import { formatLsn, parseLsn } from './wal-names';
import { parseOffsetTimestamp, type UtcMicros } from './timestamp';

export interface TransactionRecord {
  kind: 'COMMIT' | 'ABORT';
  time: UtcMicros;
  /** Canonical `%X/%X` form, e.g. `0/1A3F0B0`. */
  lsn: string;
}

const TRANSACTION_LINE =
  /^rmgr: Transaction\s.*?\blsn: ([0-9A-Fa-f]+\/[0-9A-Fa-f]+),.*?\bdesc: (COMMIT|ABORT|COMMIT_PREPARED|ABORT_PREPARED) (?:\d+: )?(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?) ([^\s;]+)(?:;.*)?$/;
const UTC_ZONES = new Set(['UTC', '+00', '+00:00', '+0000', '-00', '-00:00', '-0000', 'Z']);

export function parseTransactionRecords(output: string): TransactionRecord[] {
  const records: TransactionRecord[] = [];
  for (const line of output.split(/\r?\n/)) {
    const m = TRANSACTION_LINE.exec(line.trim());
    if (!m) continue;
    const [, lsn, desc, localTime, zone] = m as unknown as [string, string, string, string, string];
    if (!UTC_ZONES.has(zone)) {
      throw new Error(
        `pg_waldump printed a transaction time in zone ${JSON.stringify(zone)} (${localTime} ${zone}); ` +
          `run it with TZ=UTC so that times are unambiguous`,
      );
    }
    const time = parseOffsetTimestamp(`${localTime}Z`);
    if (time === null) throw new Error(`pg_waldump printed an unreadable transaction time: ${localTime} ${zone}`);
    records.push({
      kind: desc.startsWith('COMMIT') ? 'COMMIT' : 'ABORT',
      time,
      lsn: formatLsn(parseLsn(lsn)),
    });
  }
  return records;
}
