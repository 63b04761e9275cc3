import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTextNoFollow } from '../../../src/io/read-no-follow';

describe('readTextNoFollow', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pitr-nofollow-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads a plain file, and gives nothing for a link planted in its place or a missing file', async () => {
    await writeFile(join(dir, 'log'), 'FATAL: real log line\n');
    assert.equal(await readTextNoFollow(join(dir, 'log')), 'FATAL: real log line\n');
    await writeFile(join(dir, 'root-only'), 'secret of root\n');
    await symlink(join(dir, 'root-only'), join(dir, 'planted'));
    assert.equal(await readTextNoFollow(join(dir, 'planted')), '');
    assert.equal(await readTextNoFollow(join(dir, 'absent')), '');
  });
});
