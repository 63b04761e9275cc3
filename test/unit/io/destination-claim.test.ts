// The destination's claim and the cancel that undoes it, on a real filesystem, as root handing the
// directory to the Barman user like the worker does. What is asserted is the user's data: whatever
// order, repetition or interruption the steps go through, the user's directory and files survive.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RestoreRun } from '../../../src/core/destination-claim';
import { abandonDestination } from '../../../src/io/abandon-destination';
import { claimDestination } from '../../../src/io/destination';
import { destinationControl, lockDestination, releaseDestination, type DestinationControl } from '../../../src/io/destination-control';
import { pathExists } from '../../../src/io/path-exists';
import { loadWorkerSettings } from '../../../src/settings';

describe('destination claim and cancel (real filesystem)', function () {
  this.timeout(30_000);
  const owner = loadWorkerSettings(process.env).barmanUser;
  const run: RestoreRun = { restoreId: 'pitr:pg:/restore/x', runId: 'run-1' };
  let root: string;
  let workRoot: string;
  let destination: string;
  let control: DestinationControl;

  const claim = (force: boolean, asRun = run) =>
    claimDestination(destination, { control, run: asRun, owner, force, workRoot, roots: [], movedAsideSuffix: 'before-pitr-B1' });

  /** The user's own directory at the destination, with one file. */
  const userDirectory = async () => {
    await mkdir(destination, { recursive: true });
    await writeFile(join(destination, 'keep.txt'), 'mine');
  };
  const restoreWrites = () => writeFile(join(destination, 'PG_VERSION'), '15\n');

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'pitr-claim-'));
    workRoot = join(root, 'work');
    destination = join(root, 'srv', 'restored');
    control = destinationControl(workRoot, destination);
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('a retry of the same run clears its own partial output', async () => {
    await claim(false);
    await restoreWrites();
    await claim(false);
    assert.deepEqual(await readdir(destination), []);
  });

  it('a claim of another run (a terminated restore, then the user wrote here) authorises nothing', async () => {
    await claim(false);
    await writeFile(join(destination, 'keep.txt'), 'mine');
    await assert.rejects(claim(false, { ...run, runId: 'run-2' }), { name: 'DestinationNotEmpty' });
    assert.equal(await readFile(join(destination, 'keep.txt'), 'utf8'), 'mine');
  });

  it('a claim authorises nothing once the directory at the path is another one, even for the same run', async () => {
    await claim(false);
    await rm(destination, { recursive: true });
    await userDirectory();
    await assert.rejects(claim(false), { name: 'DestinationNotEmpty' });
    assert.equal(await readFile(join(destination, 'keep.txt'), 'utf8'), 'mine');
  });

  it('a released claim (the run ended) authorises nothing', async () => {
    await claim(false);
    await writeFile(join(destination, 'keep.txt'), 'mine');
    await releaseDestination(control, run.restoreId);
    await assert.rejects(claim(false), { name: 'DestinationNotEmpty' });
    assert.equal(await abandonDestination(destination, control, run).then((r) => r.destinationCleared), false);
    assert.equal(await readFile(join(destination, 'keep.txt'), 'utf8'), 'mine');
  });

  it('cancel puts the forced-aside directory back, and a repeated cancel leaves it alone', async () => {
    await userDirectory();
    const aside = await claim(true);
    assert.equal(aside, `${destination}.before-pitr-B1`);
    await restoreWrites();
    const first = await abandonDestination(destination, control, run);
    assert.deepEqual(first, { destinationCleared: true, movedBack: aside });
    const second = await abandonDestination(destination, control, run);
    assert.deepEqual(second, { destinationCleared: false, movedBack: null });
    assert.deepEqual(await readdir(destination), ['keep.txt']);
    assert.deepEqual((await readdir(join(root, 'srv'))).sort(), ['restored']);
  });

  it('a cancel interrupted while deleting is finished by its retry, and the user directory comes back untouched', async () => {
    await userDirectory();
    const aside = (await claim(true))!;
    await restoreWrites();
    const interrupted = new AbortController();
    interrupted.abort(new Error('worker lost'));
    // The first attempt dies while deleting the restore's output, renamed out of the way by then.
    await assert.rejects(abandonDestination(destination, control, run, interrupted.signal));
    assert.equal(await readFile(join(aside, 'keep.txt'), 'utf8'), 'mine');
    const retry = await abandonDestination(destination, control, run);
    assert.deepEqual(retry, { destinationCleared: true, movedBack: aside });
    assert.deepEqual(await readdir(destination), ['keep.txt']);
    assert.deepEqual((await readdir(join(root, 'srv'))).sort(), ['restored'], 'the renamed restore output is gone too');
    assert.deepEqual(await abandonDestination(destination, control, run), { destinationCleared: false, movedBack: null }, 'a third attempt finds nothing to do');
    assert.deepEqual(await readdir(destination), ['keep.txt']);
  });

  it('two cancels side by side never remove the user\'s directory', async () => {
    await userDirectory();
    await claim(true);
    await restoreWrites();
    await Promise.allSettled([abandonDestination(destination, control, run), abandonDestination(destination, control, run)]);
    await abandonDestination(destination, control, run);
    assert.deepEqual(await readdir(destination), ['keep.txt']);
    assert.equal(await readFile(join(destination, 'keep.txt'), 'utf8'), 'mine');
  });

  it('an empty directory the user made (a mount point) is emptied, kept, and given back its owner and mode', async () => {
    await mkdir(destination, { recursive: true, mode: 0o755 });
    const before = await stat(destination);
    assert.equal(await claim(false), null);
    await restoreWrites();
    await abandonDestination(destination, control, run);
    const after = await stat(destination);
    assert.deepEqual(await readdir(destination), []);
    assert.equal(after.ino, before.ino, 'the same directory, not a new one');
    assert.deepEqual([after.uid, after.gid, after.mode & 0o7777], [before.uid, before.gid, before.mode & 0o7777]);
  });

  it('a cancel that cannot put the directory back says so and where it is, and removes nothing it did not make', async () => {
    await userDirectory();
    const aside = (await claim(true))!;
    await restoreWrites();
    // Someone replaced the restore's directory with their own before the cancel ran.
    await rm(destination, { recursive: true });
    await mkdir(destination);
    await writeFile(join(destination, 'other.txt'), 'someone else');
    await assert.rejects(abandonDestination(destination, control, run), (err: Error) => {
      assert.equal(err.name, 'DestinationNotEmpty');
      assert.match(err.message, new RegExp(`could not put your directory back: ${destination} is taken .*Your directory is intact at ${aside}`));
      return true;
    });
    assert.equal(await readFile(join(aside, 'keep.txt'), 'utf8'), 'mine', 'the user directory is kept where --force put it');
    assert.equal(await readFile(join(destination, 'other.txt'), 'utf8'), 'someone else', 'what took the path is not removed');
  });

  it('keeps its records private without making the work root private: the Barman user must reach the work areas under it', async () => {
    await lockDestination(control, destination, run.restoreId);
    assert.equal((await stat(workRoot)).mode & 0o777, 0o755 & ~process.umask(), 'the work root keeps the usual mode');
    assert.equal((await stat(control.dir)).mode & 0o777, 0o700, 'the records folder is private');
  });

  it('a directory the restore created is removed by cancel', async () => {
    await claim(false);
    await restoreWrites();
    assert.deepEqual(await abandonDestination(destination, control, run), { destinationCleared: true, movedBack: null });
    assert.equal(await pathExists(destination), false);
    assert.deepEqual(await readdir(join(root, 'srv')), []);
  });
});
