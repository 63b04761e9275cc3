// `pitr plan` without --dest (issue 13, item 3): the dry run measured no disk and checked no destination, so the
// human output and --json leave those sections out instead of showing empty or made-up ones.
import assert from 'node:assert/strict';
import { formatPlan, planJson } from '../../../src/cli/plan';
import type { ReachableDryRun } from '../../../src/io/restore-dry-run';

const outcome = {
  reachable: true,
  plan: {
    backupId: '20261124T220000',
    backupReason: 'the newest completed backup ending at or before the target',
    backupEndTime: '2026-11-24T21:00:00.000000Z',
    timeline: 1,
    pgVersion: 15,
    segmentSize: 16777216,
    beginWal: '000000010000000000000002',
    endWal: '000000010000000000000004',
    walSegments: 3,
    walBytes: 300_000,
    historyFiles: 0,
    baseObjects: 2,
    baseBytes: 4_000_000,
    firstCommitAfterTarget: '2026-11-24T22:00:01.000000Z',
    stopLsn: '0/4000100',
    targetTimeline: 1,
    timelineSwitches: [],
  },
  skipped: [],
  tarObjects: 1,
  tarBytes: 4_000_000,
  baseSize: { bytes: 30_000_000, exact: false, lowerBound: false, objects: [], method: 'gzip ISIZE estimate' },
} satisfies ReachableDryRun;

describe('pitr plan without --dest', () => {
  const header = { server: 'pg', bucket: 'b', prefix: '', targetTime: '2026-11-24T22:00:00.000000Z' };

  it('--json has the backup, WAL, download and base size, and no destination, space or tablespace keys', () => {
    const json = planJson(header, outcome) as Record<string, unknown>;
    assert.equal(json.reachable, true);
    assert.deepEqual((json.backup as { id: string }).id, '20261124T220000');
    assert.equal((json.baseSize as { extractedBytes: number }).extractedBytes, 30_000_000);
    for (const key of ['destination', 'space', 'destinationState', 'destinationProblem', 'tablespaces']) assert.ok(!(key in json), key);
  });

  it('the human output says there was no --dest and has no disk or destination lines', () => {
    const lines = formatPlan(header, outcome);
    assert.equal(lines[1], '      (dry run: nothing was copied; no --dest, so no disk or destination checks)');
    assert.ok(lines.some((l) => /^extracted\s+base backup /.test(l)));
    assert.ok(lines.some((l) => /^reachable\s+yes/.test(l)));
    assert.ok(!lines.some((l) => /^(disk|destination|tablespace)\s/.test(l)), lines.join('\n'));
  });
});
