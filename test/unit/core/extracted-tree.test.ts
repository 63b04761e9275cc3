import assert from 'node:assert/strict';
import { extractedFromSameObjects, linkedTreeRefusal, parseExtractionRecord, summarizeListing, type ExtractionRecord } from '../../../src/core/extracted-tree';

const objects = [
  { key: 'pg/base/B1/data.tar.gz', etag: 'aa', size: 100 },
  { key: 'pg/base/B1/data_0001.tar.gz', etag: 'bb', size: 50 },
];
const record: ExtractionRecord = { entries: 4, bytes: 30, objects };
const listing = 'd 108 700 4096\nf 108 600 10\nf 108 400 20\nl 108 777 12\n';

describe('core/extracted-tree', () => {
  it('sums a tree listing: entries of every kind, bytes of regular files only', () => {
    assert.deepEqual(summarizeListing(listing, 108), { entries: 4, bytes: 30 });
    assert.deepEqual(summarizeListing('', 108), { entries: 0, bytes: 0 });
  });

  it('refuses a listing the extraction cannot have left: another owner, a FIFO, a group or setuid bit', () => {
    assert.match((summarizeListing(listing, 0) as { refused: string }).refused, /owned by uid 108, not by uid 0/);
    assert.match((summarizeListing('p 108 600 0\n', 108) as { refused: string }).refused, /type p/);
    assert.match((summarizeListing('f 108 640 1\n', 108) as { refused: string }).refused, /mode 640/);
    assert.match((summarizeListing('f 108 4600 1\n', 108) as { refused: string }).refused, /mode 4600/);
    assert.match((summarizeListing('d 108 1700 1\n', 108) as { refused: string }).refused, /sticky/);
  });

  it('reads back a record it wrote, and nothing that is not one', () => {
    assert.deepEqual(parseExtractionRecord(JSON.stringify(record)), record);
    assert.equal(parseExtractionRecord(JSON.stringify(record).slice(0, -3)), undefined, 'torn');
    assert.equal(parseExtractionRecord(JSON.stringify({ ...record, objects: [] })), undefined, 'no tarball');
    assert.equal(parseExtractionRecord(JSON.stringify({ ...record, objects: [...objects, { key: 'x' }] })), undefined, 'a malformed tarball');
    assert.equal(parseExtractionRecord(JSON.stringify({ ...record, entries: '4' })), undefined);
    assert.equal(parseExtractionRecord('null'), undefined);
  });

  it('lends a directory only extracted from the same tarball versions, in the same order', () => {
    assert.equal(extractedFromSameObjects(record, objects), true);
    assert.equal(extractedFromSameObjects(record, [objects[0]!]), false, 'a tarball fewer');
    assert.equal(extractedFromSameObjects(record, [objects[1]!, objects[0]!]), false, 'another order');
    assert.equal(extractedFromSameObjects(record, [{ ...objects[0]!, etag: 'cc' }, objects[1]!]), false, 'uploaded again');
    assert.equal(extractedFromSameObjects(record, [{ ...objects[0]!, size: 101 }, objects[1]!]), false);
  });

  it('accepts a linked tree only with the entries and bytes its extraction recorded', () => {
    assert.equal(linkedTreeRefusal(record, { entries: 4, bytes: 30 }), undefined);
    assert.match(linkedTreeRefusal(record, { entries: 3, bytes: 30 })!, /has 3 entries and 30 bytes of files, where its extraction recorded 4 and 30/);
    assert.match(linkedTreeRefusal(record, { entries: 4, bytes: 29 })!, /29 bytes/);
    assert.match(linkedTreeRefusal(record, { refused: 'holds an entry of type p' })!, /type p/);
  });
});
