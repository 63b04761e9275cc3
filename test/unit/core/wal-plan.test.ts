import assert from 'node:assert/strict';
import { parseTimelineHistory, segmentTimelineSpans } from '../../../src/core/timeline-history';
import { TimelineMismatchError, firstScanIndex, walChainFrom, type ArchivedWal } from '../../../src/core/wal-plan';

const SIZE = 16 * 1024 * 1024;

function wal(name: string, lastModified: string | null = null): ArchivedWal {
  return { name, key: `pg/wals/${name.slice(0, 16)}/${name}.gz`, size: 1000, lastModified };
}

function names(chain: ArchivedWal[]): string[] {
  return chain.map((w) => w.name);
}

/** Segments of one timeline, log 0, from `from` to `to` (hex segment numbers, inclusive). */
function run(timeline: number, from: number, to: number): ArchivedWal[] {
  const out: ArchivedWal[] = [];
  for (let seg = from; seg <= to; seg++) {
    out.push(wal(`${hex8(timeline)}00000000${hex8(seg)}`));
  }
  return out;
}

function hex8(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}

describe('core/wal-plan', () => {
  describe('walChainFrom', () => {
    it('returns the run from begin_wal to the end of the archive, in order, regardless of listing order', () => {
      const archive = [...run(1, 0x20, 0x2a)].reverse();
      const { chain, gapAfter, missing } = walChainFrom(archive, '000000010000000000000026', SIZE);
      assert.deepEqual(names(chain), names(run(1, 0x26, 0x2a)));
      assert.equal(gapAfter, null);
      assert.equal(missing, null);
    });

    it('keeps the archive objects themselves (key, size, lastModified)', () => {
      const archive = run(1, 0x26, 0x27);
      assert.equal(walChainFrom(archive, '000000010000000000000026', SIZE).chain[1], archive[1]);
    });

    it('crosses the 0xFF segment wrap into the next log', () => {
      const archive = [
        wal('0000000100000000000000FE'),
        wal('0000000100000000000000FF'),
        wal('000000010000000100000000'),
        wal('000000010000000100000001'),
      ];
      const { chain, gapAfter } = walChainFrom(archive, '0000000100000000000000FE', SIZE);
      assert.deepEqual(names(chain), names(archive));
      assert.equal(gapAfter, null);
    });

    it('does not invent a segment 0x100 at 16 MB, but does at 1 MB', () => {
      const archive = [wal('0000000100000000000000FF'), wal('000000010000000000000100'), wal('000000010000000100000000')];
      assert.deepEqual(names(walChainFrom(archive, '0000000100000000000000FF', SIZE).chain), [
        '0000000100000000000000FF',
        '000000010000000100000000',
      ]);
      assert.deepEqual(names(walChainFrom(archive, '0000000100000000000000FF', 1024 * 1024).chain), [
        '0000000100000000000000FF',
        '000000010000000000000100',
      ]);
    });

    it('stops at a hole and reports the gap when later segments exist', () => {
      const archive = [...run(1, 0x26, 0x28), ...run(1, 0x2a, 0x30)];
      const result = walChainFrom(archive, '000000010000000000000026', SIZE);
      assert.deepEqual(names(result.chain), names(run(1, 0x26, 0x28)));
      assert.equal(result.gapAfter, '000000010000000000000028');
      assert.equal(result.missing, '000000010000000000000029');
    });

    it('reports a gap across a log wrap', () => {
      const archive = [wal('0000000100000000000000FF'), wal('000000010000000100000001')];
      const result = walChainFrom(archive, '0000000100000000000000FF', SIZE);
      assert.equal(result.gapAfter, '0000000100000000000000FF');
      assert.equal(result.missing, '000000010000000100000000');
    });

    it('returns an empty chain when begin_wal is not archived', () => {
      assert.deepEqual(walChainFrom(run(1, 0x20, 0x25), '000000010000000000000026', SIZE), {
        chain: [],
        gapAfter: null,
        missing: null,
      });
      assert.deepEqual(walChainFrom(run(1, 0x27, 0x28), '000000010000000000000026', SIZE), {
        chain: [],
        gapAfter: null,
        missing: '000000010000000000000026',
      });
      assert.deepEqual(walChainFrom([], '000000010000000000000026', SIZE), { chain: [], gapAfter: null, missing: null });
    });

    it('ignores other timelines, history and backup files, and names impossible at this size', () => {
      const archive = [
        ...run(1, 0x26, 0x27),
        wal('000000020000000000000028'),
        wal('000000020000000000000029'),
        wal('00000002.history'),
        wal('000000010000000000000026.00000028.backup'),
        wal('000000010000000000000140'),
      ];
      const result = walChainFrom(archive, '000000010000000000000026', SIZE);
      assert.deepEqual(names(result.chain), names(run(1, 0x26, 0x27)));
      assert.equal(result.gapAfter, null);
    });

    it('keeps the first of two objects with the same name', () => {
      const first = wal('000000010000000000000026');
      const second = { ...first, key: 'pg/wals/0000000100000000/000000010000000000000026' };
      assert.equal(walChainFrom([first, second], '000000010000000000000026', SIZE).chain[0], first);
    });

    describe('across a timeline switch', () => {
      // Timeline 2 branched off timeline 1 inside segment 0x2A.
      const spans = segmentTimelineSpans(2, parseTimelineHistory('1\t0/2A000100\tbefore 2026-11-24 22:08:46+00\n'), SIZE);
      // Timeline 1 went on after the branch; its later segments are the abandoned history.
      const archive = [...run(1, 0x26, 0x2d), ...run(2, 0x2a, 0x2c)];

      it('reads the old timeline up to the switch, and the switch segment onwards from the new one', () => {
        const result = walChainFrom(archive, '000000010000000000000026', SIZE, spans);
        assert.deepEqual(names(result.chain), [...names(run(1, 0x26, 0x29)), ...names(run(2, 0x2a, 0x2c))]);
        assert.equal(result.gapAfter, null);
      });

      it('does not count abandoned segments of the old timeline as a gap', () => {
        const onlyOld = run(1, 0x26, 0x2d);
        const result = walChainFrom(onlyOld, '000000010000000000000026', SIZE, spans);
        assert.deepEqual(names(result.chain), names(run(1, 0x26, 0x29)));
        assert.equal(result.gapAfter, null);
      });

      it('reports a hole on the new timeline as a gap', () => {
        const holed = [...run(1, 0x26, 0x29), wal('00000002000000000000002A'), wal('00000002000000000000002C')];
        const result = walChainFrom(holed, '000000010000000000000026', SIZE, spans);
        assert.equal(result.gapAfter, '00000002000000000000002A');
        assert.equal(result.missing, '00000002000000000000002B');
      });

      it('reports a missing switch segment as a gap, not as the old timeline', () => {
        const holed = [...run(1, 0x26, 0x2d), wal('00000002000000000000002B')];
        const result = walChainFrom(holed, '000000010000000000000026', SIZE, spans);
        assert.deepEqual(names(result.chain), names(run(1, 0x26, 0x29)));
        assert.equal(result.gapAfter, '000000010000000000000029');
        assert.equal(result.missing, '00000002000000000000002A');
      });

      it('starts a backup of the old timeline that began in the switch segment on the new timeline copy', () => {
        const result = walChainFrom(archive, '00000001000000000000002A', SIZE, spans);
        assert.deepEqual(names(result.chain), names(run(2, 0x2a, 0x2c)));
      });

      it('starts a backup of the new timeline normally', () => {
        assert.deepEqual(names(walChainFrom(archive, '00000002000000000000002B', SIZE, spans).chain), [
          '00000002000000000000002B',
          '00000002000000000000002C',
        ]);
      });

      it('refuses a backup taken on the old timeline after the branch', () => {
        assert.throws(
          () => walChainFrom(archive, '00000001000000000000002B', SIZE, spans),
          (e: unknown) =>
            e instanceof TimelineMismatchError &&
            e.type === 'TargetUnreachable' &&
            /timeline 2 branched off timeline 1 before that \(its last segment on the path is 000000010000000000000029\)/.test(
              e.message,
            ),
        );
      });

      it('refuses a backup on a timeline that does not lead to the target', () => {
        const toOne = segmentTimelineSpans(1, [], SIZE);
        assert.throws(
          () => walChainFrom(archive, '00000002000000000000002B', SIZE, toOne),
          /on timeline 2, but on the way to timeline 1 this position belongs to timeline 1; the backup is not on that path/,
        );
        // A backup of timeline 2 cannot start where the path still reads timeline 1.
        assert.throws(
          () => walChainFrom(archive, '000000020000000000000027', SIZE, spans),
          /on timeline 2, but on the way to timeline 2 this position belongs to timeline 1/,
        );
      });

      it('refuses a position the spans do not cover', () => {
        assert.throws(
          () => walChainFrom(archive, '000000010000000000000026', SIZE, [{ timeline: 1, fromIndex: 0x30, toIndex: null }]),
          /no timeline is given for the position of begin WAL 000000010000000000000026/,
        );
      });
    });

    it('refuses a malformed begin_wal', () => {
      assert.throws(() => walChainFrom([], '00000001000000000000002', SIZE), /not a WAL segment name/);
      assert.throws(() => walChainFrom([], '000000010000000000000100', SIZE), /cannot exist with 16777216-byte segments/);
    });
  });

  describe('firstScanIndex', () => {
    const target = '2026-11-24T22:00:00.000000Z';
    const chain = [
      wal('000000010000000000000026', '2026-11-24T21:50:00.000000Z'),
      wal('000000010000000000000027', '2026-11-24T21:58:00.000000Z'),
      wal('000000010000000000000028', '2026-11-24T21:59:30.000000Z'),
      wal('000000010000000000000029', '2026-11-24T22:00:00.000000Z'),
      wal('00000001000000000000002A', '2026-11-24T22:00:00.000001Z'),
      wal('00000001000000000000002B', '2026-11-24T22:05:00.000000Z'),
    ];

    it('skips segments archived well before the target', () => {
      assert.equal(firstScanIndex(chain, target, 60_000_000), 2);
      assert.equal(firstScanIndex(chain, target, 30_000_000), 3);
      assert.equal(firstScanIndex(chain, target, 30_000_001), 2);
    });

    it('treats a segment archived exactly at target - margin as safe to skip, one microsecond later as not', () => {
      assert.equal(firstScanIndex(chain, target, 0), 4);
      assert.equal(firstScanIndex(chain, '2026-11-24T21:59:59.999999Z', 0), 3);
    });

    it('starts at 0 when the margin reaches back before everything', () => {
      assert.equal(firstScanIndex(chain, target, 3_600_000_000), 0);
    });

    it('starts at the first segment whose LastModified is unknown', () => {
      assert.equal(firstScanIndex([wal('000000010000000000000026'), ...chain.slice(1)], target, 0), 0);
      const mixed = [chain[0]!, wal('000000010000000000000027'), ...chain.slice(2)];
      assert.equal(firstScanIndex(mixed, target, 0), 1);
    });

    it('returns chain.length when everything was archived well before the target, and 0 for an empty chain', () => {
      assert.equal(firstScanIndex(chain, '2026-11-25T00:00:00.000000Z', 60_000_000), chain.length);
      assert.equal(firstScanIndex([], target, 0), 0);
    });

    it('refuses a bad margin', () => {
      assert.throws(() => firstScanIndex(chain, target, -1), RangeError);
      assert.throws(() => firstScanIndex(chain, target, 1.5), RangeError);
    });
  });
});
