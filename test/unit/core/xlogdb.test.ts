import assert from 'node:assert/strict';
import { withInProcessGunzip } from '../../../src/core/xlogdb';

describe('xlog.db: gzip entries decompressed in Barman\'s own process', () => {
  it("renames the compression of 'gzip' lines only, and keeps every other byte", () => {
    const xlogdb = [
      '000000010000000000000002\t81234\t86400.0\tgzip',
      '000000010000000000000002.00000028.backup\t230\t86400.0\tNone',
      '00000002.history\t42\t86400.0\tNone',
      '000000010000000000000003\t16777216\t86400.0\tbzip2',
      '000000010000000000000004\t81000\t86400.0\tgzip',
      '',
    ].join('\n');
    const { text, changed } = withInProcessGunzip(xlogdb);
    assert.equal(changed, 2);
    assert.equal(
      text,
      [
        '000000010000000000000002\t81234\t86400.0\tpygzip',
        '000000010000000000000002.00000028.backup\t230\t86400.0\tNone',
        '00000002.history\t42\t86400.0\tNone',
        '000000010000000000000003\t16777216\t86400.0\tbzip2',
        '000000010000000000000004\t81000\t86400.0\tpygzip',
        '',
      ].join('\n'),
    );
  });

  it('leaves a catalogue without gzip entries (or with unexpected lines) as it is', () => {
    const xlogdb = 'a\tb\tc\tNone\nnot a catalogue line gzip\n\tgzip\n';
    assert.deepEqual(withInProcessGunzip(xlogdb), { text: xlogdb, changed: 0 });
  });
});
