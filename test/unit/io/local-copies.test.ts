// Copying from another restore's work area (src/io/local-copies.ts) on real files: what it copies, what it
// refuses (a link or FIFO planted at the name, a second name, another owner, an open area, another version),
// and that the other area is left exactly as it was. Runs as root, as the worker does; `postgres` plays the
// Barman user.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, linkSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openJournal } from '../../../src/io/download-journal';
import { localCopies } from '../../../src/io/local-copies';
import { runCommand } from '../../../src/io/run-command';
import { archivedWalPath } from '../../../src/io/work-dir';
import { userIds } from '../../../src/io/user-ids';

const BARMAN_USER = 'postgres';
const OWN = 'pg-00112233aabbccdd';
const OTHER = 'pg-ffeeddccbbaa9988';
const KEY = 'pg/base/B1/data.tar.gz';
const CONTENT = Buffer.from('tarball bytes '.repeat(1000));
const MD5 = createHash('md5').update(CONTENT).digest('hex');

describe('io/local-copies', function () {
  this.timeout(20_000);
  let restores: string;
  let ownRoot: string;
  let otherRoot: string;
  let source: string;
  let part: string;
  const wanted = (etag = MD5) => ({ key: KEY, etag, size: CONTENT.length, localPath: join(ownRoot, 'downloads', 'B1', 'data.tar.gz') });
  const copy = (etag?: string) => localCopies({ ownRoot, server: 'pg', barmanUser: BARMAN_USER }).copyInto(wanted(etag), part);

  beforeEach(async () => {
    restores = join(await mkdtemp(join(tmpdir(), 'pitr-local-copies-')), 'restores');
    ownRoot = join(restores, OWN);
    otherRoot = join(restores, OTHER);
    mkdirSync(join(ownRoot, 'downloads', 'B1'), { recursive: true, mode: 0o700 });
    mkdirSync(join(otherRoot, 'downloads', 'B1'), { recursive: true });
    chmodSync(otherRoot, 0o700);
    source = join(otherRoot, 'downloads', 'B1', 'data.tar.gz');
    writeFileSync(source, CONTENT);
    const journal = await openJournal(join(otherRoot, 'downloads.journal'));
    await journal.markComplete({ key: KEY, etag: MD5, size: CONTENT.length, localPath: source });
    await journal.close();
    part = `${wanted().localPath}.part`;
  });

  afterEach(async () => {
    await rm(join(restores, '..'), { recursive: true, force: true });
  });

  it('copies the file the other journal records, into part, and leaves the source as it was', async () => {
    const before = statSync(source);
    const journalBefore = readFileSync(join(otherRoot, 'downloads.journal'));
    assert.equal(await copy(), true);
    assert.deepEqual(readFileSync(part), CONTENT);
    const after = statSync(source);
    assert.equal(after.ino, before.ino);
    assert.equal(after.nlink, 1, 'copied, not linked');
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.deepEqual(readFileSync(source), CONTENT);
    assert.deepEqual(readFileSync(join(otherRoot, 'downloads.journal')), journalBefore);
  });

  it('copies from an area handed to the Barman user, its own files only', async () => {
    await runCommand('chown', ['-R', BARMAN_USER, otherRoot]);
    assert.equal(await copy(), true);
    rmSync(part);
    chownSync(source, 0, 0);
    assert.equal(await copy(), false, "a root file in the Barman user's area");
    assert.equal(existsSync(part), false);
  });

  it('refuses another object version, a file with two names, a link or FIFO at the name, an area open to others', async () => {
    assert.equal(await copy('0'.repeat(32)), false, 'another ETag');
    linkSync(source, `${source}.second`);
    assert.equal(await copy(), false, 'two names');
    rmSync(`${source}.second`);
    assert.equal(await copy(), true);
    rmSync(part);
    chmodSync(otherRoot, 0o755);
    assert.equal(await copy(), false, 'root-owned area others can enter');
    chmodSync(otherRoot, 0o700);
    const kept = join(otherRoot, 'kept');
    writeFileSync(kept, CONTENT);
    rmSync(source);
    symlinkSync(kept, source);
    assert.equal(await copy(), false, 'a link at the name');
    rmSync(source);
    await runCommand('mkfifo', [source]);
    assert.equal(await copy(), false, 'a FIFO at the name (no hang)');
    assert.equal(existsSync(part), false);
  });

  it('refuses a file whose bytes no longer match the MD5 ETag (rewritten in place)', async () => {
    const changed = Buffer.from(CONTENT);
    changed[0] = changed[0]! ^ 0xff;
    writeFileSync(source, changed);
    assert.equal(lstatSync(source).nlink, 1);
    assert.equal(await copy(), false);
    assert.equal(existsSync(part), false, 'the refused copy is removed');
  });

  it('a journal link planted by the Barman user is not read', async () => {
    const { uid } = await userIds(BARMAN_USER);
    await runCommand('chown', ['-R', String(uid), otherRoot]);
    const journal = join(otherRoot, 'downloads.journal');
    const real = join(otherRoot, 'real.journal');
    writeFileSync(real, readFileSync(journal));
    chownSync(real, uid, uid);
    rmSync(journal);
    symlinkSync(real, journal);
    assert.equal(await copy(), false);
  });
  it('copies a WAL file the other restore\'s stage step kept as archived beside the plain copy Barman reads', async () => {
    const walKey = 'pg/wals/0000000100000000/000000010000000000000003.zst';
    const walPath = (root: string) => join(root, 'home', 'pg', 'wals', '0000000100000000', '000000010000000000000003');
    const archived = archivedWalPath(otherRoot, walPath(otherRoot));
    mkdirSync(join(archived, '..'), { recursive: true });
    writeFileSync(archived, CONTENT);
    const journal = await openJournal(join(otherRoot, 'downloads.journal'));
    await journal.markComplete({ key: walKey, etag: MD5, size: CONTENT.length, localPath: archived });
    await journal.close();
    // At the WAL's own name: the decompressed segment, which the journal's record there no longer proves.
    mkdirSync(join(walPath(otherRoot), '..'), { recursive: true });
    writeFileSync(walPath(otherRoot), Buffer.alloc(CONTENT.length * 2));
    const wal = { key: walKey, etag: MD5, size: CONTENT.length, localPath: walPath(ownRoot) };
    mkdirSync(join(walPath(ownRoot), '..'), { recursive: true });
    assert.equal(await localCopies({ ownRoot, server: 'pg', barmanUser: BARMAN_USER }).copyInto(wal, `${wal.localPath}.part`), true);
    assert.deepEqual(readFileSync(`${wal.localPath}.part`), CONTENT, 'the archived bytes, whose MD5 is the ETag');
  });
});
