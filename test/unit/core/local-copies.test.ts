// The pure rules of reusing another restore's downloads on this host (src/core/local-copies.ts).
import assert from 'node:assert/strict';
import { copyRefusal, otherAreasOfServer, provenCopy, samePlaceIn, trustedOwner, type RecordedDownload } from '../../../src/core/local-copies';

const own = '/w/restores/pg-00112233aabbccdd';
const other = '/w/restores/pg-ffeeddccbbaa9988';
const record: RecordedDownload = { key: 'b/pg/base/B1/data.tar.gz', etag: 'abc-2', size: 10, path: `${other}/downloads/B1/data.tar.gz`, inode: '42' };

describe('local copies (pure)', () => {
  describe('otherAreasOfServer', () => {
    it('takes <server>-<16 hex> areas of the server, not its own, not another server sharing the prefix', () => {
      const names = ['pg-00112233aabbccdd', 'pg-ffeeddccbbaa9988', 'pg-2-0123456789abcdef', 'pg-0123', 'pgx-0123456789abcdef', 'pg-0123456789ABCDEF', 'pg-0123456789abcdef.old'];
      assert.deepEqual(otherAreasOfServer(names, 'pg', 'pg-00112233aabbccdd'), ['pg-ffeeddccbbaa9988']);
      assert.deepEqual(otherAreasOfServer(names, 'pg-2', 'x'), ['pg-2-0123456789abcdef']);
    });
  });

  describe('samePlaceIn', () => {
    it('maps a path of this area to the same place in the other', () => {
      assert.equal(samePlaceIn(own, other, `${own}/downloads/B1/data.tar.gz`), `${other}/downloads/B1/data.tar.gz`);
      assert.equal(samePlaceIn(`${own}/`, `${other}/`, `${own}/home/pg/wals/0000000100000000/000000010000000000000003`), `${other}/home/pg/wals/0000000100000000/000000010000000000000003`);
    });
    it('refuses paths outside the area or with dot segments', () => {
      assert.equal(samePlaceIn(own, other, '/etc/passwd'), undefined);
      assert.equal(samePlaceIn(own, other, `${own}x/downloads/a`), undefined);
      assert.equal(samePlaceIn(own, other, `${own}/downloads/../../x`), undefined);
      assert.equal(samePlaceIn(own, other, `${own}//a`), undefined);
      assert.equal(samePlaceIn(own, other, `${own}/`), undefined);
    });
  });

  describe('provenCopy', () => {
    const records = new Map([[record.path, record]]);
    const wanted = { key: record.key, etag: record.etag, size: record.size, localPath: `${own}/downloads/B1/data.tar.gz` };
    it('needs the same key, ETag and size at the same place', () => {
      assert.equal(provenCopy(records, wanted, record.path), record);
      assert.equal(provenCopy(records, { ...wanted, etag: 'other-2' }, record.path), undefined, 'object uploaded again');
      assert.equal(provenCopy(records, { ...wanted, size: 11 }, record.path), undefined);
      assert.equal(provenCopy(records, { ...wanted, key: 'b/pg/base/B2/data.tar.gz' }, record.path), undefined);
      assert.equal(provenCopy(records, wanted, `${other}/downloads/B1/other.tar.gz`), undefined, 'a name without a record proves nothing');
    });
  });

  describe('trustedOwner', () => {
    const base = { rootIsDirectory: true, barmanUid: 108 };
    it('root-owned and closed (0700): root', () => assert.deepEqual(trustedOwner({ ...base, rootUid: 0, rootMode: 0o40700 }), { uid: 0 }));
    it('handed to the Barman user: only its files', () => assert.deepEqual(trustedOwner({ ...base, rootUid: 108, rootMode: 0o40700 }), { uid: 108 }));
    it('refuses root-owned but open, another owner, a non-directory', () => {
      assert.ok('refused' in trustedOwner({ ...base, rootUid: 0, rootMode: 0o40755 }));
      assert.ok('refused' in trustedOwner({ ...base, rootUid: 1000, rootMode: 0o40700 }));
      assert.ok('refused' in trustedOwner({ ...base, rootIsDirectory: false, rootUid: 0, rootMode: 0o120777 }));
    });
  });

  describe('copyRefusal', () => {
    const good = { isFile: true, nlink: 1, size: 10, inode: '42', uid: 108 };
    it('accepts the recorded file of the trusted owner', () => assert.equal(copyRefusal(good, record, { uid: 108 }), undefined));
    it('refuses anything else', () => {
      assert.match(copyRefusal({ ...good, isFile: false }, record, { uid: 108 })!, /regular/);
      assert.match(copyRefusal({ ...good, nlink: 2 }, record, { uid: 108 })!, /hard links/);
      assert.match(copyRefusal({ ...good, size: 9 }, record, { uid: 108 })!, /size/);
      assert.match(copyRefusal({ ...good, inode: '43' }, record, { uid: 108 })!, /inode/);
      assert.match(copyRefusal({ ...good, uid: 0 }, record, { uid: 108 })!, /owned by uid 0/);
    });
  });
});
