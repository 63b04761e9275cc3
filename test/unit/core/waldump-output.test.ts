import assert from 'node:assert/strict';
import { parseTransactionRecords } from '../../../src/core/waldump-output';
import { PG15_WALDUMP_TRANSACTION_OUTPUT } from './fixtures/waldump-pg15';

const COMMIT_LINE =
  'rmgr: Transaction len (rec/tot):     34/    34, tx:        735, lsn: 0/01A3F0B0, prev 0/01A3F078, desc: COMMIT 2026-11-24 21:56:15.142222 UTC';

describe('core/waldump-output', () => {
  it('reads commits and aborts from real PostgreSQL 15 output, prepared ones included', () => {
    assert.deepEqual(parseTransactionRecords(PG15_WALDUMP_TRANSACTION_OUTPUT), [
      { kind: 'COMMIT', time: '2026-11-24T22:51:37.009049Z', lsn: '0/2015E18' },
      { kind: 'COMMIT', time: '2026-11-24T22:51:37.028975Z', lsn: '0/2015FF0' },
      { kind: 'ABORT', time: '2026-11-24T22:51:37.038760Z', lsn: '0/2016070' },
      { kind: 'COMMIT', time: '2026-11-24T22:51:37.056608Z', lsn: '0/20161D0' },
      { kind: 'ABORT', time: '2026-11-24T22:51:37.074994Z', lsn: '0/2016338' },
      { kind: 'COMMIT', time: '2026-11-24T22:51:37.085497Z', lsn: '0/201A148' },
      { kind: 'ABORT', time: '2026-11-24T22:51:46.640715Z', lsn: '0/201CC68' },
      { kind: 'COMMIT', time: '2026-11-24T22:51:46.651778Z', lsn: '0/201CD30' },
      { kind: 'COMMIT', time: '2026-11-24T22:51:46.662292Z', lsn: '0/201D068' },
    ]);
  });

  it('reads the line from the research notes', () => {
    assert.deepEqual(parseTransactionRecords(COMMIT_LINE), [
      { kind: 'COMMIT', time: '2026-11-24T21:56:15.142222Z', lsn: '0/1A3F0B0' },
    ]);
  });

  it('tolerates trailing details, CRLF and surrounding spaces', () => {
    const output = `  ${COMMIT_LINE}; inval msgs: catcache 80; rels: base/5/1\r\n${COMMIT_LINE.replace('COMMIT', 'ABORT')}; subxacts: 9\r\n`;
    assert.deepEqual(
      parseTransactionRecords(output).map((r) => r.kind),
      ['COMMIT', 'ABORT'],
    );
  });

  it('ignores PREPARE, ASSIGNMENT, INVALIDATION, other resource managers and noise', () => {
    const output = [
      'rmgr: Transaction len (rec/tot):    242/   242, tx:        727, lsn: 0/020160D8, prev 0/02016098, desc: PREPARE gid p1: 2026-11-24 22:51:37.047695 UTC',
      'rmgr: Transaction len (rec/tot):     38/    38, tx:        800, lsn: 0/03000028, prev 0/02FFFFD0, desc: ASSIGNMENT xtop 800: subxacts: 801 802',
      'rmgr: Transaction len (rec/tot):     50/    50, tx:        801, lsn: 0/03000050, prev 0/03000028, desc: INVALIDATION ; inval msgs: catcache 7',
      'rmgr: Heap        len (rec/tot):     54/   150, tx:        735, lsn: 0/01A3F010, prev 0/01A3EFD8, desc: INSERT off 2 flags 0x00, blkref #0: rel 1663/5/16384 blk 0 FPW',
      'rmgr: XLOG        len (rec/tot):    114/   114, tx:          0, lsn: 0/01A3F0F0, prev 0/01A3F0B0, desc: CHECKPOINT_ONLINE redo 0/1A3F0B8; tli 1; prev tli 1; fpw true; xid 0:736; oid 24576; multi 1; offset 0; oldest xid 716 in DB 1; oldest multi 1 in DB 1; oldest/newest commit timestamp xid: 0/0; oldest running xid 736; online',
      'pg_waldump: error: error in WAL record at 0/201A148: invalid record length at 0/201A2E0: wanted 24, got 0',
      'pg_waldump: fatal: could not find a valid record after 0/3000000',
      '',
      'COMMIT 2026-11-24 21:56:15.142222 UTC',
    ].join('\n');
    assert.deepEqual(parseTransactionRecords(output), []);
  });

  it('returns nothing for empty output', () => {
    assert.deepEqual(parseTransactionRecords(''), []);
  });

  it('accepts numeric zero offsets and pads short fractions', () => {
    for (const zone of ['+00', '+00:00', '+0000']) {
      assert.equal(parseTransactionRecords(COMMIT_LINE.replace(' UTC', ` ${zone}`))[0]?.time, '2026-11-24T21:56:15.142222Z', zone);
    }
    assert.equal(
      parseTransactionRecords(COMMIT_LINE.replace('.142222 UTC', '.1 UTC'))[0]?.time,
      '2026-11-24T21:56:15.100000Z',
    );
    assert.equal(parseTransactionRecords(COMMIT_LINE.replace('.142222 UTC', ' UTC'))[0]?.time, '2026-11-24T21:56:15.000000Z');
  });

  it('refuses other zones, asking for TZ=UTC', () => {
    // What the same record looks like with TZ=Europe/Berlin, TZ=Etc/GMT-3 and TZ=Europe/London.
    for (const [time, zone] of [
      ['2026-11-24 23:51:37.028975', 'CET'],
      ['2026-11-25 01:51:37.028975', '+03'],
      ['2026-11-24 22:51:37.028975', 'GMT'],
      ['2026-11-24 17:51:37.028975', 'EST'],
    ] as const) {
      const line = COMMIT_LINE.replace('2026-11-24 21:56:15.142222 UTC', `${time} ${zone}`);
      assert.throws(
        () => parseTransactionRecords(line),
        (e: Error) => e.message.includes(`in zone "${zone}" (${time} ${zone}); run it with TZ=UTC`),
        zone,
      );
    }
  });

  it('refuses unreadable times on transaction lines instead of skipping them', () => {
    assert.throws(
      () => parseTransactionRecords(COMMIT_LINE.replace('2026-11-24', '2026-02-30')),
      /unreadable transaction time: 2026-02-30 21:56:15.142222 UTC/,
    );
    assert.throws(
      () => parseTransactionRecords(COMMIT_LINE.replace('.142222', '.1422221')),
      /unreadable transaction time/,
    );
  });
});
