// Replay progress on the real stack, on the benchmark fixture (not part of npm test: it needs the benchmark's
// fixture, which bench/run-bench.sh builds; run it after that with `npx mocha --exit lib/test/bench/replay-progress.test.js`).
// While verify's PostgreSQL replays, the step's heartbeat details say how far
// replay is from the plan's stop (src/core/replay-progress.ts), and `pitr status` shows them, run as a person
// would. The test fixtures replay in under a second, fewer than one heartbeat apart (the worker sends them at most
// every 5 s); the benchmark fixture (bench/run-bench.sh builds it into the stack's bucket) replays 182 segments
// of pgbench traffic, about 12 s, so that replay is seen more than once.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readRestoreStatus } from '../../src/cli/restore-status';
import { replayEndOfPlan } from '../../src/core/replay-progress';
import { parseOffsetTimestamp } from '../../src/core/timestamp';
import { parseLsn } from '../../src/core/wal-names';
import type { ProgressDetails, RestoreResult } from '../../src/shared';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { REPO_ROOT } from '../support/stack-env';

const run = promisify(execFile);
const BENCH_FIXTURE = join(REPO_ROOT, 'bench', 'work', 'fixture.json');

interface BenchFixture {
  server: string;
  bucket: string;
  prefix: string;
  targetTime: string;
}

function pitr(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [join(REPO_ROOT, 'bin', 'pitr.js'), ...args], { env: process.env }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

/** The replay position a heartbeat's sentence names (`replayed to 0/5000A28 ...`). */
function replayedLsn(details: ProgressDetails): number {
  const m = /^replayed to ([0-9A-F]+\/[0-9A-F]+)\b/.exec(details.current ?? '');
  assert.ok(m, `a replay sentence: ${details.current}`);
  return parseLsn(m[1]!);
}

describe('replay progress during verify (real stack, benchmark fixture)', function () {
  this.timeout(600_000);
  let harness: RestoreHarness | undefined;
  let bench: BenchFixture;

  before(async function () {
    assert.ok(existsSync(BENCH_FIXTURE), `no benchmark fixture (${BENCH_FIXTURE}): bash bench/run-bench.sh builds it`);
    bench = JSON.parse(readFileSync(BENCH_FIXTURE, 'utf8')) as BenchFixture;
    harness = await openRestoreHarness();
  });

  after(async () => {
    await harness?.close();
  });

  it('heartbeats the replayed LSN, WAL and commit time to go, rate and ETA against the plan, and pitr status prints them', async () => {
    const target = parseOffsetTimestamp(bench.targetTime);
    assert.ok(target, bench.targetTime);
    const input = harness!.inputFor(target, undefined, { server: bench.server, bucket: bench.bucket, prefix: bench.prefix });
    const handle = await harness!.start(input);
    // Another process follows the restore as a person would; not on a terminal, it prints a line per change.
    const followed = pitr('status', handle.workflowId, '--follow');

    // Temporal's describe, as pitr status reads it, until the restore ends: every distinct replay heartbeat of verify.
    const seen: ProgressDetails[] = [];
    let statusText = '';
    let ended = false;
    const result = handle.result() as Promise<RestoreResult>;
    void result.then(
      () => (ended = true),
      () => (ended = true),
    );
    while (!ended) {
      const progress = (await readRestoreStatus(handle).catch(() => null))?.progress;
      if (progress?.phase === 'Verify' && progress.bytesTotal > 0 && progress.current !== seen[seen.length - 1]?.current) {
        seen.push(progress);
        if (!statusText) statusText = (await pitr('status', handle.workflowId)).stdout;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const restored = await result;
    const follow = await followed;

    const end = replayEndOfPlan(restored.plan)!;
    const start = parseLsn(end.startLsn);
    const stop = parseLsn(end.stopLsn);
    assert.ok(seen.length >= 2, `replay seen at least twice, saw: ${JSON.stringify(seen, null, 1)}`);
    let previous = start;
    for (const details of seen) {
      assert.equal(details.bytesTotal, stop - start, `bytesTotal is the plan's stop less the backup's start: ${JSON.stringify(details)}`);
      assert.ok(details.bytesDone <= details.bytesTotal, JSON.stringify(details));
      const lsn = replayedLsn(details);
      assert.ok(lsn >= previous && lsn <= stop, `replayed LSN within the plan's range and not going back: ${details.current}`);
      assert.equal(details.bytesDone, lsn - start, details.current);
      assert.ok(details.current!.includes(` to go to ${end.stopLsn}`) || details.current!.endsWith(`at the stop record ${end.stopLsn}`), details.current);
      previous = lsn;
    }
    // From the second poll on there is a rate, and with it an ETA; a time target also counts commit time down.
    const later = seen[seen.length - 1]!;
    if (!later.current!.includes('at the stop record')) {
      assert.match(later.current!, / of commits to go to .*, [\d.]+ (B|KiB|MiB|GiB)\/s, about \S+ left$/, later.current);
    }
    // The last sample seen is not past where verify proved replay stopped.
    assert.ok(restored.verify.stoppedAt?.lsn, JSON.stringify(restored.verify));
    assert.ok(replayedLsn(later) <= parseLsn(restored.verify.stoppedAt.lsn), `${later.current} vs ${restored.verify.stoppedAt.lsn}`);

    assert.match(statusText, /RUNNING, phase Verify, [\d.]+ \S+\/[\d.]+ \S+, replayed to [0-9A-F]+\/[0-9A-F]+/, statusText);
    assert.equal(follow.code, 0, follow.stderr);
    assert.match(follow.stdout, /phase Verify, [\d.]+ \S+\/[\d.]+ \S+, replayed to [0-9A-F]+\/[0-9A-F]+ \(last commit [^)]+\), .* to go to /, follow.stdout);
  });
});
