// A restore cancelled while `barman recover` copies the base backup: barman copies with rsync children
// (through a pool of copy workers), which a SIGTERM to barman alone leaves running, writing into the
// destination the cancel is putting back. Cancellation ends barman's whole process group. The copy is
// slowed down with barman's own --bwlimit (added by a wrapper), so the cancel finds rsync at work.
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRestoreStatus } from '../../src/cli/restore-status';
import { loadWorkerSettings } from '../../src/settings';
import { between, marker } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { requireStackEnv } from '../support/stack-env';
import { killStrayProcesses, strayProcesses } from '../support/worker-process';
import { waitFor } from '../support/workflow-history';

describe('cancel during barman recover: no barman or rsync process outlives the restore', function () {
  this.timeout(240_000);
  let harness: RestoreHarness;
  let tools: string;
  const paths: string[] = [];

  before(async () => {
    tools = await mkdtemp(join(tmpdir(), 'pitr-tools-'));
    const real = loadWorkerSettings(requireStackEnv().env).barmanBin;
    const wrapper = join(tools, 'barman');
    // The real barman, its recover copying at 20 kB/s: minutes for the fixture's base backup.
    await writeFile(
      wrapper,
      ['#!/bin/bash', 'args=()', 'for a in "$@"; do args+=("$a"); [[ $a == recover ]] && args+=(--bwlimit 20); done', `exec ${JSON.stringify(real)} "\${args[@]}"`, ''].join('\n'),
    );
    await chmod(wrapper, 0o755);
    harness = await openRestoreHarness({ settings: { barmanBin: wrapper } });
  });

  after(async () => {
    const strays = await killStrayProcesses(paths);
    if (strays.length > 0) console.log(`      killed ${strays.length} stray processes: ${strays.map((s) => `${s.pid} ${s.command}`).join('; ')}`);
    await harness?.close();
    await rm(tools, { recursive: true, force: true });
  });

  it('kills rsync with barman', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    const destination = harness.newDestination();
    const input = harness.inputFor(target, destination, { timings: { retryInitialMs: 200, retryMaximumMs: 2_000, heartbeatTimeoutMs: 10_000 } });
    const workDir = harness.workArea(input).root;
    paths.push(destination, workDir);
    const handle = await harness.start(input);
    const rsyncs = () => strayProcesses([destination]).filter((p) => /(^|\/)rsync /.test(p.command));
    // Barman runs a few short rsyncs around the long one of the data files: wait for one that keeps running.
    let seen = new Set<number>();
    let copying: { pid: number; command: string }[] = [];
    await waitFor('barman recover to copy with rsync into the destination', 120_000, async () => {
      const now = rsyncs();
      copying = now.filter((p) => seen.has(p.pid));
      seen = new Set(now.map((p) => p.pid));
      return copying.length > 0;
    }, 2_000);
    assert.equal((await readRestoreStatus(handle)).phase, 'Recover');
    const cancelledAt = Date.now();
    await handle.cancel();
    assert.ok(copying.every((p) => existsSync(`/proc/${p.pid}`)), 'rsync was still copying when the cancel was sent');
    const error = await handle.result().then(
      () => assert.fail('the cancelled restore completed'),
      (err: unknown) => err,
    );
    assert.ok(error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure, String(error));
    const seconds = (Date.now() - cancelledAt) / 1000;
    const left = strayProcesses([destination, workDir]);
    console.log(`      cancelled with ${copying.length} rsync at work (${copying.map((p) => p.pid).join(', ')}); the restore ended ${seconds.toFixed(1)} s later; left running: ${left.length}`);
    assert.deepEqual(left.map((p) => p.command), [], 'no barman or rsync process of the cancelled restore is left running');
  });
});
