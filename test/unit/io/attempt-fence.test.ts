// The attempt fence on real files: one holder at a time, a fresh lease makes a newcomer wait, a holder
// that is gone or silent past its lease is taken over, and the one taken over learns it on renewal.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireFence, attemptIdentity, AttemptFencedError } from '../../../src/io/attempt-fence';

describe('attempt fence', () => {
  let dir: string;
  let file: string;
  const attempt = (n: number) => attemptIdentity({ restoreId: 'pitr:pg:/x', runId: 'run-1', step: 'syncWalRange', attempt: n });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pitr-fence-'));
    file = join(dir, 'attempt');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('makes a later attempt wait while the holder renews its lease, naming the holder', async () => {
    const first = await acquireFence(file, attempt(1), 60_000);
    await assert.rejects(acquireFence(file, attempt(2), 60_000), (err: Error) => {
      assert.ok(err instanceof AttemptFencedError);
      assert.match(err.message, /attempt 1 of syncWalRange \(process \d+ on .*\) still works on this restore .*this attempt waits/);
      return true;
    });
    assert.equal(await first.renew(), true);
  });

  it('takes over a lease not renewed in time; the old holder learns it and cannot release the new one', async () => {
    const first = await acquireFence(file, attempt(1), 60_000);
    const past = new Date(Date.now() - 120_000);
    await utimes(file, past, past);
    const second = await acquireFence(file, attempt(2), 60_000);
    assert.equal(await first.renew(), false, 'the silent attempt finds it lost the fence');
    await first.release();
    assert.ok(existsSync(file), "the old holder's release leaves the new lease alone");
    assert.equal(await second.renew(), true);
    await second.release();
    assert.ok(!existsSync(file));
  });

  it('takes over at once from a holder whose process has exited', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    await writeFile(file, JSON.stringify({ ...attempt(1), pid: dead }));
    const second = await acquireFence(file, attempt(2), 60_000);
    assert.equal(await second.renew(), true);
  });

  it('lets the same attempt take its own fence again, and a damaged file does not block', async () => {
    await acquireFence(file, attempt(1), 60_000);
    await acquireFence(file, attempt(1), 60_000);
    await writeFile(file, 'not json');
    const next = await acquireFence(file, attempt(3), 60_000);
    assert.equal(await next.renew(), true);
  });
});
