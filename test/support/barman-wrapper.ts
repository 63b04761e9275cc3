// A barman the tests can break or slow down: a wrapper around the stack's real one (PITR_BARMAN_BIN), whose
// behaviour is switched by flag files beside it. `broken`: rebuild-xlogdb fails. `slow`: recover starts 60 s
// late (a window in which the destination is taken and barman runs).
import assert from 'node:assert/strict';
import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RestoreInput } from '../../src/shared';
import { between, marker, type Fixture } from './fixture';
import type { RestoreHarness } from './restore-harness';

/** Writes the wrapper into `dir` around the real barman `real`; returns its path. */
export async function writeBarmanWrapper(dir: string, real: string): Promise<string> {
  const wrapper = join(dir, 'barman');
  await writeFile(
    wrapper,
    [
      '#!/bin/bash',
      `here=${JSON.stringify(dir)}`,
      'if [[ -e $here/broken && " $* " == *" rebuild-xlogdb "* ]]; then echo "ERROR: barman configuration damaged (test)" >&2; exit 1; fi',
      `if [[ -e $here/slow && " $* " == *" recover "* ]]; then`,
      "  trap 'kill $child 2>/dev/null; exit 143' TERM INT",
      '  sleep 60 & child=$!',
      '  wait $child',
      'fi',
      `exec ${JSON.stringify(real)} "$@"`,
      '',
    ].join('\n'),
  );
  await chmod(wrapper, 0o755);
  return wrapper;
}

/**
 * A restore of the `pg` fixture that fails on a host whose barman (the wrapper in `dir`) is broken: rebuild-xlogdb
 * fails, found only after the transfers; barman is fixed again after.
 */
export async function failOnBrokenBarman(harness: RestoreHarness, dir: string): Promise<{ fixture: Fixture; target: string; input: RestoreInput }> {
  const { fixture } = harness;
  const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
  const input = harness.inputFor(target);
  await writeFile(join(dir, 'broken'), '');
  const failure = await harness.expectFailure(input).finally(() => rm(join(dir, 'broken')));
  assert.equal(failure.type, 'BarmanFailed');
  assert.match(failure.message, /barman [\d.]+ rebuild-xlogdb failed.*configuration damaged/s);
  return { fixture, target, input };
}
