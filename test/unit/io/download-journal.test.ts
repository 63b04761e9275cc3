import assert from 'node:assert/strict';
import { appendFile, link, mkdtemp, readFile, rename, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WantedObject } from '../../../src/core/local-copies';
import { openJournal, parseJournal } from '../../../src/io/download-journal';

describe('download-journal', () => {
  let dir: string;
  let file: string;
  let a: WantedObject;
  let b: WantedObject;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pitr-journal-'));
    file = join(dir, 'state', 'journal.jsonl');
    a = { key: 'pg/wals/x/a.gz', etag: 'e1', size: 5, localPath: join(dir, 'a') };
    b = { key: 'pg/wals/x/b.gz', etag: 'e2', size: 3, localPath: join(dir, 'b') };
    await writeFile(a.localPath, '12345');
    await writeFile(b.localPath, '123');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('records completions durably and finds them after reopening', async () => {
    const j = await openJournal(file);
    assert.equal(await j.isComplete(a), false);
    await Promise.all([j.markComplete(a), j.markComplete(b)]);
    assert.equal(await j.isComplete(a), true);
    await j.close();

    const again = await openJournal(file);
    assert.equal(await again.isComplete(a), true);
    assert.equal(await again.isComplete(b), true);
    const lines = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => Object.keys(l).sort()), [['etag', 'inode', 'key', 'path', 'size'], ['etag', 'inode', 'key', 'path', 'size']]);
  });

  it('is complete only for the same key, etag and size, with the file still there at that size', async () => {
    const j = await openJournal(file);
    await j.markComplete(a);
    assert.equal(await j.isComplete({ ...a, etag: 'other' }), false, 'new object version');
    assert.equal(await j.isComplete({ ...a, size: 6 }), false, 'other size');
    assert.equal(await j.isComplete({ ...a, key: 'pg/wals/x/c.gz' }), false, 'other key at the path');
    await writeFile(a.localPath, '1234');
    assert.equal(await j.isComplete(a), false, 'local file changed size');
    await rm(a.localPath);
    assert.equal(await j.isComplete(a), false, 'local file gone');
  });

  it('reuses only the very file it recorded: not another of the same size, a link to one, or a file with a second name', async () => {
    const j = await openJournal(file);
    await j.markComplete(a);
    const other = join(dir, 'other');
    await writeFile(other, 'abcde');
    await link(a.localPath, join(dir, 'second-name'));
    assert.equal(await j.isComplete(a), false, 'a hard link elsewhere could expose or alter it');
    await rm(join(dir, 'second-name'));
    assert.equal(await j.isComplete(a), true);
    await rm(a.localPath);
    await symlink(other, a.localPath);
    assert.equal(await j.isComplete(a), false, 'a symbolic link to a file of the same size');
    await rm(a.localPath);
    await rename(other, a.localPath);
    assert.equal(await j.isComplete(a), false, 'another file of the same size put in its place');
  });

  it('ignores a torn last line and cuts it off before appending', async () => {
    const j = await openJournal(file);
    await j.markComplete(a);
    await j.markComplete(b);
    // A crash in the middle of writing b's record: a, then half a line.
    const text = await readFile(file, 'utf8');
    const firstLine = text.indexOf('\n') + 1;
    await truncate(file, firstLine + 20);

    const reopened = await openJournal(file);
    assert.equal(await reopened.isComplete(a), true);
    assert.equal(await reopened.isComplete(b), false);
    assert.equal((await readFile(file, 'utf8')).length, firstLine, 'the torn tail is gone');

    await reopened.markComplete(b);
    const last = await openJournal(file);
    assert.equal(await last.isComplete(a), true);
    assert.equal(await last.isComplete(b), true, 'the record after the torn one is readable');
  });

  it('skips unreadable lines in the middle instead of failing', async () => {
    const j = await openJournal(file);
    await j.markComplete(a);
    await appendFile(file, 'not json\n{"key":1}\n');
    await j.markComplete(b);
    const reopened = await openJournal(file);
    assert.equal(await reopened.isComplete(a), true);
    assert.equal(await reopened.isComplete(b), true);
  });

  it('parseJournal (another restore\'s journal, pitr status): complete lines only, the last record of a path wins', () => {
    const line = (key: string, size: number, path: string) => `${JSON.stringify({ key, etag: 'e', size, path, inode: '1' })}\n`;
    const text = `${line('k1', 1, '/p')}not json\n${line('k2', 2, '/p')}{"key":"k3","etag":"e","size":3,"path":"/q","inode":"1"}`;
    assert.deepEqual([...parseJournal(text)], [['/p', { key: 'k2', etag: 'e', size: 2, path: '/p', inode: '1' }]]);
  });

  it('keeps every record when many arrive at once (group commit)', async () => {
    const j = await openJournal(file);
    const items = Array.from({ length: 200 }, (_, i) => ({ key: `k${i}`, etag: 'e', size: 5, localPath: a.localPath + i }));
    await Promise.all(items.map((i) => writeFile(i.localPath, '12345')));
    await Promise.all(items.map((i) => j.markComplete(i)));
    assert.equal((await readFile(file, 'utf8')).trim().split('\n').length, 200);
  });
});
