import assert from 'node:assert/strict';
import { checkSpace, describeShortage, restoreSpaceNeeds, type Volume } from '../../../src/core/restore-space';

const MiB = 1024 * 1024;
const needs = restoreSpaceNeeds({ baseTarBytes: 5 * MiB, baseBytes: 68 * MiB, walSegments: 2, segmentSize: 16 * MiB, walArchivedBytes: 32 * 1024 });

function volume(path: string, device: number, freeBytes: number): Volume {
  return { path, measuredAt: path, device, freeBytes };
}

describe('core/restore-space', () => {
  it('counts the extracted base and the decompressed WAL at the destination', () => {
    assert.equal(needs.destination.bytes, 68 * MiB + 32 * MiB);
    assert.deepEqual(
      needs.destination.parts.map((p) => p.bytes),
      [68 * MiB, 32 * MiB],
    );
  });

  it('counts the tarballs, the extracted base and the WAL as archived in the Barman home', () => {
    assert.equal(needs.barmanHome.bytes, 5 * MiB + 68 * MiB + 32 * 1024);
    assert.equal(needs.barmanHome.parts.length, 3);
  });

  it('checks each area against its own filesystem when they differ', () => {
    const ok = checkSpace(needs, volume('/dest', 1, 101 * MiB), volume('/home', 2, 74 * MiB));
    assert.equal(ok.sharedFilesystem, false);
    assert.equal(ok.requiredOnSharedBytes, null);
    assert.equal(ok.enough, true);
    const short = checkSpace(needs, volume('/dest', 1, 99 * MiB), volume('/home', 2, 1024 * MiB));
    assert.equal(short.destination.fits, false);
    assert.equal(short.barmanHome.fits, true);
    assert.equal(short.enough, false);
  });

  it('adds both needs up when the destination and the Barman home share a filesystem', () => {
    const total = needs.destination.bytes + needs.barmanHome.bytes;
    const tight = checkSpace(needs, volume('/dest', 7, total - 1), volume('/home', 7, total - 1));
    assert.equal(tight.sharedFilesystem, true);
    assert.equal(tight.requiredOnSharedBytes, total);
    assert.equal(tight.destination.fits, true, 'each alone would fit');
    assert.equal(tight.barmanHome.fits, true);
    assert.equal(tight.enough, false, 'but not both');
    assert.equal(checkSpace(needs, volume('/dest', 7, total), volume('/home', 7, total)).enough, true, 'exactly enough is enough');
  });

  it("the refusal names each area's need and free space, the shared filesystem, and --force", () => {
    const total = needs.destination.bytes + needs.barmanHome.bytes;
    const message = describeShortage(checkSpace(needs, volume('/dest', 7, total - 1), volume('/home', 7, total - 1)));
    assert.match(message, /^not enough disk space for this restore: the destination \/dest needs 100\.0 MiB, [0-9.]+ MiB free at \/dest; the worker's Barman work area \/home needs 73\.0 MiB, /);
    assert.match(message, /both are on one filesystem, so 173\.0 MiB must fit there\./);
    assert.match(message, /--force skips this check/);
  });
  it('counts no space for the directories linked from another restore on this host: neither their tarballs nor their files', () => {
    const linked = restoreSpaceNeeds({ baseTarBytes: 5 * MiB, baseBytes: 68 * MiB, walSegments: 2, segmentSize: 16 * MiB, walArchivedBytes: 32 * 1024, linked: { directories: 1, tarBytes: 4 * MiB, bytes: 60 * MiB } });
    assert.deepEqual(linked.barmanHome.parts, [
      { label: 'downloaded tarballs', bytes: 1 * MiB },
      { label: 'extracted base backup (1 directory linked from another restore on this host: no new space)', bytes: 8 * MiB },
      { label: 'WAL as archived', bytes: 32 * 1024 },
    ]);
    assert.equal(linked.barmanHome.bytes, 9 * MiB + 32 * 1024);
    assert.deepEqual(linked.destination, needs.destination, 'barman recover still copies the whole base backup into the destination');
    const none = restoreSpaceNeeds({ baseTarBytes: 5 * MiB, baseBytes: 68 * MiB, walSegments: 2, segmentSize: 16 * MiB, walArchivedBytes: 32 * 1024, linked: { directories: 0, tarBytes: 0, bytes: 0 } });
    assert.deepEqual(none, needs, 'nothing linked: the plain needs');
  });
});
