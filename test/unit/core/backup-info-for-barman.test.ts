import assert from 'node:assert/strict';
import { backupInfoForBarman } from '../../../src/core/backup-info-for-barman';
import { parseBackupInfo } from '../../../src/core/backup-info';
import { barmanCapabilities } from '../../../src/core/barman-version';

// The shape barman-cloud-backup 3.19.1 writes (every field, the new ones even when empty).
const WRITTEN_BY_3_19 = [
  "backup_label='START WAL LOCATION: 0/4000028 (file 000000010000000000000004)\\nSTART TIMELINE: 1\\n'",
  'backup_name=None',
  'begin_offset=40',
  'begin_time=2026-12-01 01:10:02.123456+00:00',
  'begin_wal=000000010000000000000004',
  'begin_xlog=0/4000028',
  'children_backup_ids=None',
  'cluster_size=23144448',
  'compression=None',
  'data_checksums=off',
  'encryption=None',
  'end_offset=312',
  'end_time=2026-12-01 01:10:04.654321+00:00',
  'end_wal=000000010000000000000004',
  'end_xlog=0/4000138',
  'mode=None',
  'parent_backup_id=None',
  'server_name=cloud',
  'status=DONE',
  'summarize_wal=off',
  'systemid=7443000000000000000',
  'tablespaces=None',
  'timeline=1',
  'version=150018',
  'xlog_segment_size=16777216',
].join('\n');

describe('backup-info-for-barman', () => {
  it('leaves out what Barman 3.4 cannot load and gives mode a value', () => {
    const rendered = backupInfoForBarman(WRITTEN_BY_3_19, barmanCapabilities({ major: 3, minor: 4, patch: 0 }));
    assert.deepEqual(rendered.dropped.sort(), ['children_backup_ids', 'cluster_size', 'data_checksums', 'encryption', 'parent_backup_id', 'summarize_wal']);
    assert.match(rendered.text, /^mode=postgres$/m);
    assert.doesNotMatch(rendered.text, /children_backup_ids|encryption|mode=None/);
    // what is kept is read exactly as before
    const before = parseBackupInfo('20261201T011002', WRITTEN_BY_3_19);
    const after = parseBackupInfo('20261201T011002', rendered.text);
    // cluster_size, dropped, only bounds pitr's own extraction, which reads the bucket's backup.info.
    assert.equal(after.recordedSize, null);
    assert.deepEqual({ ...after, mode: null, recordedSize: before.recordedSize }, before);
  });

  it('keeps every field for Barman 3.19, with mode=None replaced (3.14+ crash on it)', () => {
    const rendered = backupInfoForBarman(WRITTEN_BY_3_19, barmanCapabilities({ major: 3, minor: 19, patch: 1 }));
    assert.deepEqual(rendered.dropped, []);
    assert.equal(rendered.text.split('\n').filter(Boolean).length, WRITTEN_BY_3_19.split('\n').length);
    assert.match(rendered.text, /^mode=postgres$/m);
    assert.match(rendered.text, /^backup_label='START WAL LOCATION: 0\/4000028 \(file 000000010000000000000004\)\\nSTART TIMELINE: 1\\n'$/m);
  });

  it('drops encryption only for Barman 3.11 to 3.13, and keeps a mode that has a value', () => {
    const rendered = backupInfoForBarman(WRITTEN_BY_3_19.replace('mode=None', 'mode=rsync-concurrent'), barmanCapabilities({ major: 3, minor: 12, patch: 0 }));
    assert.deepEqual(rendered.dropped, ['encryption']);
    assert.match(rendered.text, /^mode=rsync-concurrent$/m);
  });
});
