// The compatibility matrix of issue 9, on the real stack: backups and WAL written by barman-cloud 3.4
// (Debian) and 3.19.1 (PyPI) with every compression they offer, PostgreSQL 15 and 17, restored by a
// worker whose own Barman is Debian's 3.4 or PyPI's 3.19.1 (two workers on two task queues). Each
// restore ends with SQL on the started database. The fixtures are scripts/fixture-matrix.txt, built by
// scripts/test.sh with the real tools.
import assert from 'node:assert/strict';
import { formatBarmanVersion } from '../../src/core/barman-version';
import type { UtcMicros } from '../../src/core/timestamp';
import { detectBarman } from '../../src/io/barman';
import { loadWorkerSettings } from '../../src/settings';
import type { RestoreInput, RestoreResult } from '../../src/shared';
import { between, labelsUpTo, loadFixture, marker, utc, type Fixture } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { queryRestoredMarkers } from '../support/restored-cluster';
import { requireStackEnv } from '../support/stack-env';

/**
 * The worker Barmans under test: Debian 12's, and the newest on PyPI, which the bootstrap installs and the
 * stack names in PITR_BARMAN_BIN (in .tools, or elsewhere when the postgres user cannot reach .tools).
 */
const WORKER_BARMANS = {
  '3.4': () => '/usr/bin/barman',
  '3.19.1': () => loadWorkerSettings(requireStackEnv().env).barmanBin,
} as const;
type WorkerBarman = keyof typeof WORKER_BARMANS;

interface MatrixCell {
  server: string;
  barman: WorkerBarman;
}

/** Every fixture by both worker Barmans. */
const CELLS: MatrixCell[] = [
  { server: 'pg', barman: '3.4' }, // 3.19-written gzip backup, PostgreSQL 15 (the 3.19.1 worker restores it in every other suite)
  { server: 'c319-lz4-zstd-15', barman: '3.4' },
  { server: 'c319-lz4-zstd-15', barman: '3.19.1' },
  { server: 'c319-gz-lz4-17', barman: '3.19.1' },
  { server: 'c319-gz-lz4-17', barman: '3.4' },
  { server: 'c34-gz-gz-15', barman: '3.19.1' },
  { server: 'c34-gz-gz-15', barman: '3.4' },
  { server: 'c319-snappy-xz-15', barman: '3.19.1' },
  { server: 'c319-snappy-xz-15', barman: '3.4' },
  { server: 'c319-bz2-snappy-15', barman: '3.19.1' },
  { server: 'c319-bz2-snappy-15', barman: '3.4' },
  { server: 'c319-none-bz2-15', barman: '3.19.1' },
  { server: 'c319-none-bz2-15', barman: '3.4' },
];

/** A target between the first two markers committed after the newest backup ended. */
function targetAfterNewestBackup(fixture: Fixture): UtcMicros {
  const newest = fixture.backups.at(-1)!;
  const after = fixture.markers.filter((m) => m.committedAt > utc(newest.endTime));
  const labels = fixture.shape === 'full' ? ['after-b2-1', 'after-b2-2'] : ['after-b1-1', 'after-b1-2'];
  assert.ok(after.length >= 2, `fixture ${fixture.server} needs two markers after its newest backup`);
  return between(marker(fixture, labels[0]), marker(fixture, labels[1]));
}

describe('compatibility matrix: barman-cloud 3.4 and 3.19.1 archives, every compression, PostgreSQL 15 and 17, worker Barman 3.4 and 3.19.1', function () {
  this.timeout(900_000);
  const harnesses = new Map<WorkerBarman, RestoreHarness>();

  /** One worker per Barman, on its own task queue; each restore's input names its fixture. */
  async function harnessFor(barman: WorkerBarman): Promise<RestoreHarness> {
    let harness = harnesses.get(barman);
    if (!harness) {
      const barmanBin = WORKER_BARMANS[barman]();
      const version = formatBarmanVersion((await detectBarman(barmanBin)).version);
      assert.ok(`${version}.`.startsWith(`${barman}.`), `${barmanBin} is Barman ${version}, not the ${barman} this cell names`);
      harness = await openRestoreHarness({ settings: { barmanBin } });
      harnesses.set(barman, harness);
    }
    return harness;
  }

  function inputFor(harness: RestoreHarness, fixture: Fixture, target: UtcMicros, overrides: Partial<RestoreInput> = {}): RestoreInput {
    return harness.inputFor(target, undefined, { server: fixture.server, bucket: fixture.bucket, prefix: fixture.prefix, ...overrides });
  }

  function otherTargetInput(harness: RestoreHarness, fixture: Fixture, overrides: Partial<RestoreInput> & Pick<RestoreInput, 'target'>): RestoreInput {
    return inputFor(harness, fixture, '' as UtcMicros, overrides);
  }

  after(async () => {
    for (const harness of harnesses.values()) await harness.close();
  });

  for (const cell of CELLS) {
    it(`restores ${cell.server} with the worker on Barman ${cell.barman}`, async function () {
      const fixture = loadFixture(cell.server);
      const harness = await harnessFor(cell.barman);
      const target = targetAfterNewestBackup(fixture);
      const started = Date.now();
      const result: RestoreResult = await (await harness.start(inputFor(harness, fixture, target))).result();
      console.log(
        `      ${cell.server} (barman-cloud ${fixture.barmanCloudVersion}, base ${fixture.baseCompression}, WAL ${fixture.walCompression}, PostgreSQL ${fixture.pgMajor}) ` +
          `on Barman ${cell.barman}: backup ${result.plan.backupId}, ${result.plan.walSegments} segments, ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      assert.equal(result.plan.pgVersion, fixture.pgMajor);
      assert.equal(result.plan.backupId, fixture.backups.at(-1)!.id);
      assert.equal(result.verify.state, 'paused');
      assert.deepEqual(await queryRestoredMarkers(result.destination, result.plan.pgVersion), labelsUpTo(fixture, target));
    });
  }

  it('restores compressed WAL to an immediate target with the worker on Barman 3.4 (no compressed file staged as plain)', async () => {
    const fixture = loadFixture('c319-lz4-zstd-15');
    const harness = await harnessFor('3.4');
    const result: RestoreResult = await (
      await harness.start(otherTargetInput(harness, fixture, { target: { kind: 'immediate' } }))
    ).result();
    assert.equal(result.verify.state, 'paused');
    // Consistent at the end of the backup: the marker before it is there, none after it.
    assert.deepEqual(await queryRestoredMarkers(result.destination, result.plan.pgVersion), ['before-b1-1']);
  });

  it('restores to a restore point by name on PostgreSQL 17 with lz4 WAL', async () => {
    const fixture = loadFixture('c319-gz-lz4-17');
    const harness = await harnessFor('3.19.1');
    const point = fixture.restorePoints[0];
    assert.ok(point, `fixture ${fixture.server} has a restore point`);
    const result: RestoreResult = await (
      await harness.start(
        otherTargetInput(harness, fixture, { target: { kind: 'name', name: point.name }, backupId: fixture.backups[0].id }),
      )
    ).result();
    assert.equal(result.verify.state, 'paused');
    const markers = await queryRestoredMarkers(result.destination, result.plan.pgVersion);
    assert.ok(markers.includes(point.name) && !markers.includes('after-b1-3'), `restore point ${point.name}: ${markers.join(', ')}`);
  });
});
