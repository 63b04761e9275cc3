// Linking another restore's extracted base backup directory (src/io/extracted-trees.ts) on real files, as root
// with `postgres` as the Barman user: what it links, what it refuses (a tree changed since its extraction, other
// tarball versions, an area not handed to the Barman user), and that the lending area is left as it was, by the
// link and by the borrower's later reclaims.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { borrowExtractedTrees, recordExtraction, type TreeTarget } from '../../../src/io/extracted-trees';
import { handOverTree } from '../../../src/io/tree-operations';
import { userIds } from '../../../src/io/user-ids';
import { reclaimWorkArea, workDirLayout } from '../../../src/io/work-dir';

const BARMAN_USER = 'postgres';
const OWN = 'pg-00112233aabbccdd';
const LENDER = 'pg-ffeeddccbbaa9988';
const OBJECTS = [{ key: 'pg/base/B1/data.tar.gz', etag: 'aa', size: 1234 }];

/** The data directory of backup B1 in the work area at `root`, as the base step names it. */
function dataTarget(root: string, objects = OBJECTS): TreeTarget {
  const finalDir = join(root, 'home', 'pg', 'base', 'B1', 'data');
  return { finalDir, partialDir: `${finalDir}.extracting`, recordPath: join(root, 'extracted', 'B1', 'data.json'), objects };
}

describe('io/extracted-trees', function () {
  this.timeout(30_000);
  let restores: string;
  let ownRoot: string;
  let lenderRoot: string;
  let barmanUid: number;
  const borrow = (objects = OBJECTS) =>
    borrowExtractedTrees({ layout: workDirLayout(ownRoot), server: 'pg', barmanUser: BARMAN_USER, targets: [dataTarget(ownRoot, objects)] });
  const lenderFile = () => join(dataTarget(lenderRoot).finalDir, 'base', '1', '1259');

  beforeEach(async () => {
    barmanUid = (await userIds(BARMAN_USER)).uid;
    restores = join(await mkdtemp(join(tmpdir(), 'pitr-extracted-trees-')), 'restores');
    // As the worker's work root: its parents let the Barman user reach an area handed to it.
    mkdirSync(restores, { mode: 0o755 });
    chmodSync(join(restores, '..'), 0o755);
    ownRoot = join(restores, OWN);
    lenderRoot = join(restores, LENDER);
    mkdirSync(ownRoot, { recursive: true, mode: 0o700 });
    mkdirSync(lenderRoot, { recursive: true, mode: 0o700 });
    // The lender extracted and published its data directory as the base step does, then its stage step handed the area over.
    const lender = dataTarget(lenderRoot);
    mkdirSync(join(lender.partialDir, 'base', '1'), { recursive: true, mode: 0o700 });
    mkdirSync(join(lender.partialDir, 'pg_tblspc'), { mode: 0o700 });
    writeFileSync(join(lender.partialDir, 'PG_VERSION'), '15\n', { mode: 0o600 });
    writeFileSync(join(lender.partialDir, 'base', '1', '1259'), Buffer.alloc(8192, 7), { mode: 0o600 });
    await recordExtraction(lender);
    await rename(lender.partialDir, lender.finalDir);
    await handOverTree(lenderRoot, BARMAN_USER);
  });

  afterEach(async () => {
    await rm(join(restores, '..'), { recursive: true, force: true });
  });

  it('links the directory the other area extracted from the same tarballs, and leaves that area as it was', async () => {
    const before = statSync(lenderFile());
    const linked = await borrow();
    assert.deepEqual(linked.map((l) => [l.from, l.bytes]), [[dataTarget(lenderRoot).finalDir, 1234]]);
    const own = dataTarget(ownRoot);
    const file = statSync(join(own.finalDir, 'base', '1', '1259'));
    assert.equal(file.ino, before.ino, 'a hard link to the same file, nothing copied');
    assert.equal(file.nlink, 2);
    assert.equal(file.uid, barmanUid);
    assert.deepEqual(readdirSync(own.finalDir).sort(), ['PG_VERSION', 'base', 'pg_tblspc']);
    assert.equal(existsSync(`${own.finalDir}.linking`), false);
    assert.ok(existsSync(own.recordPath), 'recorded: this area can lend it in turn');
    assert.equal(lstatSync(ownRoot).uid, 0, 'the area is root\'s again');
    assert.equal(lstatSync(join(ownRoot, 'extracted')).uid, 0);
    const after = statSync(lenderFile());
    assert.equal(after.uid, barmanUid);
    assert.equal(after.mtimeMs, before.mtimeMs);
    assert.equal(lstatSync(lenderRoot).uid, barmanUid);

    // A later step's reclaim of this area (and the lender's own, during an advance) leaves the shared files the Barman user's.
    await reclaimWorkArea(workDirLayout(ownRoot));
    await reclaimWorkArea(workDirLayout(lenderRoot));
    assert.equal(statSync(lenderFile()).uid, barmanUid);
    assert.equal(lstatSync(join(ownRoot, 'home', 'pg', 'base', 'B1')).uid, 0, 'everything above the published directory is root\'s');
    assert.equal(statSync(dataTarget(ownRoot).recordPath).uid, 0);
  });

  it('links nothing from a tree changed since its extraction, and leaves no half-linked folder', async () => {
    truncateSync(lenderFile(), 100);
    assert.deepEqual(await borrow(), []);
    assert.equal(existsSync(dataTarget(ownRoot).finalDir), false);
    assert.equal(existsSync(`${dataTarget(ownRoot).finalDir}.linking`), false);
    assert.equal(existsSync(dataTarget(ownRoot).recordPath), false);
  });

  it('links nothing extracted from other tarball versions, nor from an area not handed to the Barman user', async () => {
    assert.deepEqual(await borrow([{ ...OBJECTS[0]!, etag: 'bb' }]), [], 'the backup was uploaded again');
    await reclaimWorkArea(workDirLayout(lenderRoot));
    chmodSync(lenderRoot, 0o700);
    assert.deepEqual(await borrow(), [], 'a root area: its stage step has not run, the Barman user could not read it');
    assert.equal(existsSync(dataTarget(ownRoot).finalDir), false);
  });

  it('links nothing when the lender\'s record is not the Barman user\'s', async () => {
    const { chownSync } = await import('node:fs');
    chownSync(dataTarget(lenderRoot).recordPath, 0, 0);
    assert.deepEqual(await borrow(), []);
  });
});
