// Tablespace locations as destinations of their own, on a real filesystem, as root handing them to the Barman
// user like the worker does: checked, locked, claimed (moved aside with --force), undone by a cancel and
// released through the record kept beside the destination's claim. What is asserted is the user's data.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RestoreRun } from '../../../src/core/destination-claim';
import type { TablespacePlacement } from '../../../src/core/tablespace-locations';
import { destinationControl, type DestinationControl } from '../../../src/io/destination-control';
import { pathExists } from '../../../src/io/path-exists';
import {
  abandonTablespaceLocations,
  claimTablespaceLocations,
  inspectTablespaceLocations,
  lockTablespaceLocations,
  recordedTablespaceLocations,
  releaseTablespaceLocations,
} from '../../../src/io/tablespace-destinations';
import { FailureTypes, RestoreError } from '../../../src/shared';
import { loadWorkerSettings } from '../../../src/settings';

describe('tablespace locations as destinations (real filesystem)', function () {
  this.timeout(30_000);
  const owner = loadWorkerSettings(process.env).barmanUser;
  const run: RestoreRun = { restoreId: 'pitr:pg:/srv/restored', runId: 'run-1' };
  let root: string;
  let workRoot: string;
  let destination: string;
  let control: DestinationControl;
  let named: TablespacePlacement;
  let byDefault: TablespacePlacement;

  const claim = (placements: TablespacePlacement[], force: boolean) =>
    claimTablespaceLocations(workRoot, placements, { run, owner, force, workRoot, roots: [], movedAsideSuffix: 'before-pitr-B1' });

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'pitr-tblspc-'));
    workRoot = join(root, 'work');
    destination = join(root, 'srv', 'restored');
    control = destinationControl(workRoot, destination);
    named = { name: 'ts1', oid: 16414, location: join(root, 'fast', 'ts1'), source: 'named', original: '/source/ts1' };
    byDefault = { name: 'idx', oid: 16500, location: `${destination}.tablespaces/idx`, source: 'default', original: '/source/idx' };
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('refuses a non-empty location without --force, naming the tablespace and how it was chosen', async () => {
    await mkdir(named.location, { recursive: true });
    await writeFile(join(named.location, 'keep.txt'), 'mine');
    await assert.rejects(
      inspectTablespaceLocations([byDefault, named], { workRoot, force: false, roots: [] }),
      (err: unknown) =>
        err instanceof RestoreError &&
        err.type === FailureTypes.DestinationNotEmpty &&
        err.message.startsWith(`tablespace ts1 (oid 16414) goes to ${named.location} (named with --tablespace): destination ${named.location} is not empty`),
    );
    assert.deepEqual(await inspectTablespaceLocations([byDefault, named], { workRoot, force: true, roots: [] }), ['absent', 'not-empty']);
    await assert.rejects(
      inspectTablespaceLocations([byDefault], { workRoot, force: false, roots: ['/elsewhere'] }),
      /^InvalidDestination|tablespace idx \(oid 16500\) goes to .* \(its default location, beside the destination; choose another with --tablespace idx=DIR\): destination refused: .* is outside the destination roots/,
    );
  });

  it('one location, one restore: another restore is refused the lock of a location this one holds', async () => {
    await lockTablespaceLocations(workRoot, control, [named], run.restoreId);
    const other = destinationControl(workRoot, join(root, 'srv', 'other'));
    await assert.rejects(
      lockTablespaceLocations(workRoot, other, [named], 'pitr:pg:/srv/other'),
      (err: unknown) => err instanceof RestoreError && err.type === FailureTypes.InvalidDestination && err.message.includes(`restore ${run.restoreId} already restores into ${named.location}`),
    );
    // Released with the destination, the location is free for the other restore.
    await releaseTablespaceLocations(workRoot, control, run.restoreId);
    assert.deepEqual(await recordedTablespaceLocations(control), []);
    await lockTablespaceLocations(workRoot, other, [named], 'pitr:pg:/srv/other');
  });

  it('--force moves a non-empty location aside; a cancel removes what the restore wrote and puts it back', async () => {
    await mkdir(named.location, { recursive: true });
    await writeFile(join(named.location, 'keep.txt'), 'mine');
    await lockTablespaceLocations(workRoot, control, [named, byDefault], run.restoreId);
    const moved = await claim([named, byDefault], true);
    assert.deepEqual(moved, [`${named.location}.before-pitr-B1`]);
    // Barman's copy lands in directories the Barman user owns, private.
    for (const p of [named, byDefault]) {
      assert.deepEqual(await readdir(p.location), []);
      assert.equal((await stat(p.location)).mode & 0o777, 0o700);
    }
    await writeFile(join(named.location, 'PG_VERSION'), '15\n');
    await writeFile(join(byDefault.location, 'PG_VERSION'), '15\n');

    const undone = await abandonTablespaceLocations(workRoot, control, run);
    assert.deepEqual(
      undone.map((u) => [u.name, u.destinationCleared, u.movedBack]),
      [
        ['ts1', true, `${named.location}.before-pitr-B1`],
        ['idx', true, null],
      ],
    );
    assert.deepEqual(await readdir(named.location), ['keep.txt']);
    assert.equal(await readFile(join(named.location, 'keep.txt'), 'utf8'), 'mine');
    assert.equal(await pathExists(`${named.location}.before-pitr-B1`), false);
    assert.equal(await pathExists(byDefault.location), false);
    await releaseTablespaceLocations(workRoot, control, run.restoreId);
    assert.equal(await pathExists(control.tablespacesFile), false);
  });

  it('a cancel after the run ended (its claims dropped) removes nothing', async () => {
    await lockTablespaceLocations(workRoot, control, [named], run.restoreId);
    await claim([named], false);
    await writeFile(join(named.location, 'PG_VERSION'), '15\n');
    await releaseTablespaceLocations(workRoot, control, run.restoreId);
    // The record is gone with the release, so there is nothing to undo; and a claim of another run authorises nothing.
    assert.deepEqual(await abandonTablespaceLocations(workRoot, control, run), []);
    assert.deepEqual(await readdir(named.location), ['PG_VERSION']);
  });
});
