import assert from 'node:assert/strict';
import { InvalidBackupInfoError, isPlannable, missingPlanFields, parseBackupInfo } from '../../../src/core/backup-info';

// Backup 2 of the first fixture (docs/barman-pitr-facts.md §2), every key barman-cloud-backup 3.4 writes, in its sorted order.
const REAL_BACKUP_INFO = [
  "backup_label='START WAL LOCATION: 0/26000028 (file 000000010000000000000026)\\nCHECKPOINT LOCATION: 0/26000310\\nBACKUP METHOD: streamed\\nBACKUP FROM: primary\\nSTART TIME: 2026-11-24 21:55:42 UTC\\nLABEL: Barman backup cloud 20261124T220817\\nSTART TIMELINE: 1\\n'",
  'begin_offset=40',
  'begin_time=2026-11-24 21:55:42.916985+00:00',
  'begin_wal=000000010000000000000026',
  'begin_xlog=0/26000028',
  'compression=None',
  'config_file=/tmp/pitr/src/postgresql.conf',
  "copy_stats={'total_time': 18.344339, 'number_of_workers': 1, 'analysis_time': 0, 'analysis_time_per_item': {'data': 0}, 'copy_time_per_item': {'data': 18.344339}, 'serialized_copy_time_per_item': {'data': 18.344339}, 'copy_time': 18.344339, 'serialized_copy_time': 18.344339}",
  'deduplicated_size=None',
  'end_offset=7576',
  'end_time=2026-11-24 21:56:01.261324+00:00',
  'end_wal=000000010000000000000026',
  'end_xlog=0/26001D98',
  'error=None',
  'hba_file=/tmp/pitr/src/pg_hba.conf',
  'ident_file=/tmp/pitr/src/pg_ident.conf',
  'included_files=None',
  'mode=None',
  'pgdata=/tmp/pitr/src',
  'server_name=cloud',
  'size=None',
  'status=DONE',
  'systemid=7711858599026587379',
  'tablespaces=None',
  'timeline=1',
  'version=150018',
  'xlog_segment_size=16777216',
  '',
].join('\n');

function failure(text: string, backupId = '20261124T220817'): InvalidBackupInfoError {
  try {
    parseBackupInfo(backupId, text);
  } catch (e) {
    assert.ok(e instanceof InvalidBackupInfoError, `expected InvalidBackupInfoError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the backup.info to be refused');
}

describe('core/backup-info', () => {
  it('reads the real barman-cloud backup.info', () => {
    assert.deepEqual(parseBackupInfo('20261124T220817', REAL_BACKUP_INFO), {
      backupId: '20261124T220817',
      status: 'DONE',
      beginTime: '2026-11-24T21:55:42.916985Z',
      endTime: '2026-11-24T21:56:01.261324Z',
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
      error: null,
      mode: null,
      compression: null,
      encryption: null,
      parentBackupId: null,
      snapshotProvider: null,
      recordedSize: null,
    });
  });

  it('reads the fields barman-cloud 3.11+ and Barman servers add: parent backup, encryption, compression, snapshots', () => {
    const text = [
      ...REAL_BACKUP_INFO.split('\n').filter((l) => !/^(compression|mode)=/.test(l)),
      'children_backup_ids=None',
      'cluster_size=23144448',
      'data_checksums=off',
      'summarize_wal=on',
      'parent_backup_id=20261124T210000',
      'encryption=gpg',
      'compression=gzip',
      'mode=postgres',
      "snapshots_info={'provider': 'gcp', 'provider_info': {'project': 'p'}, 'snapshots': []}",
    ].join('\n');
    const info = parseBackupInfo('20261124T220817', text);
    assert.equal(info.parentBackupId, '20261124T210000');
    assert.equal(info.encryption, 'gpg');
    assert.equal(info.compression, 'gzip');
    assert.equal(info.mode, 'postgres');
    assert.equal(info.snapshotProvider, 'gcp');
    assert.equal(info.status, 'DONE');
    assert.equal(info.recordedSize, 23144448, 'cluster_size, which bounds the extraction');
  });

  it('records the larger of cluster_size and size, and no size for None or something that is not a whole number', () => {
    const sized = (lines: string[]) => parseBackupInfo('x', ['status=DONE', ...lines].join('\n')).recordedSize;
    assert.equal(sized(['cluster_size=100', 'size=250']), 250);
    assert.equal(sized(['cluster_size=300', 'size=None']), 300);
    assert.equal(sized(['size=None']), null);
    assert.equal(sized(['cluster_size=12.5', 'size=-3']), null);
  });

  it('keeps the result JSON-serialisable', () => {
    const info = parseBackupInfo('20261124T220817', REAL_BACKUP_INFO);
    assert.deepEqual(JSON.parse(JSON.stringify(info)), info);
  });

  it('reads times without a fraction and with other offsets', () => {
    const text = REAL_BACKUP_INFO.replace('end_time=2026-11-24 21:56:01.261324+00:00', 'end_time=2026-11-24 22:56:01+01:00');
    assert.equal(parseBackupInfo('x', text).endTime, '2026-11-24T21:56:01.000000Z');
  });

  it('reads tablespaces', () => {
    const text = REAL_BACKUP_INFO.replace(
      'tablespaces=None',
      `tablespaces=[('tbs1', 16387, '/srv/tbs1'), ("it's", 16388, "/srv/it's")]`,
    );
    assert.deepEqual(parseBackupInfo('x', text).tablespaces, [
      { name: 'tbs1', oid: 16387, location: '/srv/tbs1' },
      { name: "it's", oid: 16388, location: "/srv/it's" },
    ]);
    assert.deepEqual(parseBackupInfo('x', REAL_BACKUP_INFO.replace('tablespaces=None', 'tablespaces=[]')).tablespaces, []);
  });

  it('refuses tablespaces that are not (name, oid, location) tuples', () => {
    for (const bad of ["[('tbs1', '16387', '/srv')]", "[('tbs1', 16387)]", "('tbs1', 16387, '/srv')", '[(', 'yes']) {
      const e = failure(REAL_BACKUP_INFO.replace('tablespaces=None', `tablespaces=${bad}`));
      assert.match(e.message, /tablespaces .* is not a list of \(name, oid, location\)/, bad);
    }
  });

  it('reads the major version of old and new numbering', () => {
    const v = (n: string) => parseBackupInfo('x', REAL_BACKUP_INFO.replace('version=150018', `version=${n}`));
    assert.equal(v('90624').pgVersion, 9);
    assert.equal(v('90624').versionNum, 90624);
    assert.equal(v('100023').pgVersion, 10);
    assert.equal(v('170002').pgVersion, 17);
  });

  it('defaults the segment size to 16 MB and reads other sizes', () => {
    assert.equal(parseBackupInfo('x', REAL_BACKUP_INFO.replace('xlog_segment_size=16777216\n', '')).segmentSize, 16_777_216);
    assert.equal(
      parseBackupInfo('x', REAL_BACKUP_INFO.replace('xlog_segment_size=16777216', 'xlog_segment_size=67108864')).segmentSize,
      67_108_864,
    );
    assert.match(
      failure(REAL_BACKUP_INFO.replace('xlog_segment_size=16777216', 'xlog_segment_size=1000')).message,
      /xlog_segment_size: WAL segment size must be a power of 2/,
    );
  });

  it('reads a failed backup with None fields and an unquoted error message', () => {
    const text = [
      'begin_time=2026-11-24 21:50:48.1+00:00',
      'begin_wal=None',
      'begin_xlog=None',
      'end_time=None',
      'end_wal=None',
      'end_xlog=None',
      'error=failure uploading data (connection reset: key=value)',
      'status=FAILED',
      'systemid=None',
      'tablespaces=None',
      'timeline=None',
      'version=None',
      'xlog_segment_size=None',
    ].join('\n');
    assert.deepEqual(parseBackupInfo('20261124T215048', text), {
      backupId: '20261124T215048',
      status: 'FAILED',
      beginTime: '2026-11-24T21:50:48.100000Z',
      endTime: null,
      beginWal: null,
      endWal: null,
      beginXlog: null,
      endXlog: null,
      timeline: null,
      segmentSize: 16_777_216,
      pgVersion: null,
      versionNum: null,
      systemId: null,
      tablespaces: [],
      error: 'failure uploading data (connection reset: key=value)',
      mode: null,
      compression: null,
      encryption: null,
      parentBackupId: null,
      snapshotProvider: null,
      recordedSize: null,
    });
  });

  it('decodes quoted values, ignores unknown keys, comments, blank lines, CRLF and spaces around "="', () => {
    const text = "# written by hand\r\n\r\nstatus = 'DONE'\r\nfuture_key=[1, 2]\r\nerror='line1\\nline2'\r\ntimeline = 2\r\n";
    const info = parseBackupInfo('x', text);
    assert.equal(info.status, 'DONE');
    assert.equal(info.error, 'line1\nline2');
    assert.equal(info.timeline, 2);
  });

  it('uses the last value of a repeated key, as Barman does', () => {
    assert.equal(parseBackupInfo('x', 'status=STARTED\nstatus=DONE\n').status, 'DONE');
  });

  it('refuses a file without status, naming the backup', () => {
    const e = failure(REAL_BACKUP_INFO.replace('status=DONE\n', ''), '20261124T220731');
    assert.equal(
      e.message,
      'backup.info of backup 20261124T220731 cannot be used: it has no "status" line; it is not a backup.info written by Barman. ' +
        'Restore from another backup: name another with --backup-id, or leave --backup-id out and pitr chooses among the usable ones',
    );
    assert.equal(e.backupId, '20261124T220731');
    assert.equal(e.type, 'CorruptArchive');
    failure('');
    failure('status=None\n');
    failure('status=\n');
  });

  it('refuses a line that is not key=value', () => {
    assert.match(failure('status=DONE\n<html>oops</html>\n').message, /line 2 is not key=value: "<html>oops<\/html>"/);
  });

  it('refuses malformed values of the fields that matter, naming the field', () => {
    const cases: [string, string, RegExp][] = [
      ['end_time=2026-11-24 21:56:01.261324+00:00', 'end_time=2026-11-24 21:56:01', /end_time "2026-11-24 21:56:01" is not a time with a UTC offset/],
      ['end_time=2026-11-24 21:56:01.261324+00:00', 'end_time=Tue Nov 24 22:07:47 2026', /end_time .* is not a time/],
      ['begin_time=2026-11-24 21:55:42.916985+00:00', 'begin_time=2026-02-30 21:55:42+00:00', /begin_time/],
      ['begin_wal=000000010000000000000026', 'begin_wal=000000010000000000000026.gz', /begin_wal .* is not a WAL segment name/],
      ['end_wal=000000010000000000000026', 'end_wal=26', /end_wal/],
      ['end_wal=000000010000000000000026', 'end_wal=000000010000000000000126', /end_wal: WAL segment .* cannot exist with 16777216-byte segments/],
      ['begin_xlog=0/26000028', 'begin_xlog=26000028', /begin_xlog "26000028" is not a WAL location/],
      ['timeline=1', 'timeline=one', /timeline "one" is not a whole number/],
      ['timeline=1', 'timeline=0', /timeline 0 does not exist/],
      ['timeline=1', 'timeline=-1', /timeline "-1" is not a whole number/],
      ['version=150018', 'version=15.18', /version "15.18" is not a whole number/],
    ];
    for (const [from, to, expected] of cases) {
      assert.ok(REAL_BACKUP_INFO.includes(from), from);
      assert.match(failure(REAL_BACKUP_INFO.replace(from, to)).message, expected, to);
    }
  });

  it('quotes at most a short excerpt of a bad value, with control characters escaped', () => {
    const long = `\u009b2J${'9'.repeat(100_000)}`;
    for (const [from, to] of [
      ['begin_time=2026-11-24 21:55:42.916985+00:00', `begin_time=${long}`],
      ['timeline=1', `timeline=${long}`],
      ['begin_xlog=0/26000028', `begin_xlog=${long}`],
      ['tablespaces=None', `tablespaces=[${long}`],
      ['status=DONE', `status=DONE\n${long}`],
    ]) {
      const message = failure(REAL_BACKUP_INFO.replace(from!, to!)).message;
      assert.ok(message.length < 450, `${from}: ${message.length} characters: ${message.slice(0, 500)}`);
      assert.doesNotMatch(message, /[\u0000-\u001f\u007f-\u009f]/, from);
      assert.match(message, /\\u009b2J9+"\.\.\./, from);
    }
  });

  it('names the fields a restore plan needs that a backup.info lacks', () => {
    const info = parseBackupInfo('20261124T220817', REAL_BACKUP_INFO);
    assert.deepEqual(missingPlanFields(info), []);
    assert.equal(isPlannable(info), true);
    const partial = parseBackupInfo('20261124T220817', REAL_BACKUP_INFO.replace('end_xlog=0/26001D98\n', '').replace('timeline=1\n', ''));
    assert.deepEqual(missingPlanFields(partial), ['end_xlog', 'timeline']);
    assert.equal(isPlannable(partial), false);
  });
});
