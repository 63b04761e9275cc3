import assert from 'node:assert/strict';
import { progressLine } from '../../src/cli/progress-line';
import { formatDuration } from '../../src/core/report-format';

describe('progress line', () => {
  const base = { phase: 'SyncBase' as const, bytesDone: 0, bytesTotal: 0, filesDone: 0, filesTotal: 0 };

  it('shows a bar, bytes, rate and ETA from two samples', () => {
    const line = progressLine({ ...base, bytesDone: 256 * 1024 * 1024, bytesTotal: 1024 * 1024 * 1024, filesDone: 1, filesTotal: 3 }, { atMs: 0, done: 0 }, 2000, 8);
    assert.equal(line, 'SyncBase      [##......]  25%  256.0 MiB/1.0 GiB  128.0 MiB/s  ETA 6s  1/3 files');
  });

  it('falls back to files, then to the phase and current item', () => {
    assert.match(progressLine({ ...base, phase: 'Stage', filesDone: 5, filesTotal: 10 }, null, 0, 4), /^Stage +\[##\.\.\] +50% +5 files\/10 files$/);
    assert.equal(progressLine({ ...base, phase: 'Verify', current: 'replayed to 2026-11-24T23:00:40Z' }, null, 0), 'Verify: replayed to 2026-11-24T23:00:40Z');
  });

  it('shows replay with the bar and its own sentence, which carries the rate the worker measured', () => {
    const current = 'replayed to 0/5500000, 5.0 MiB to go to 0/5A00000, 2.0 MiB/s, about 3s left';
    const line = progressLine({ ...base, phase: 'Verify', bytesDone: 5 * 1024 * 1024, bytesTotal: 10 * 1024 * 1024, current }, { atMs: 0, done: 0 }, 5000, 8);
    assert.equal(line, `Verify        [####....]  50%  ${current}`);
  });

  it('gives no rate when nothing moved or time did not pass', () => {
    assert.doesNotMatch(progressLine({ ...base, bytesDone: 10, bytesTotal: 100 }, { atMs: 1000, done: 10 }, 2000), /ETA/);
    assert.doesNotMatch(progressLine({ ...base, bytesDone: 10, bytesTotal: 100 }, { atMs: 2000, done: 0 }, 2000), /ETA/);
  });

  it('formats durations', () => {
    assert.equal(formatDuration(59.4), '59s');
    assert.equal(formatDuration(61), '1m01s');
    assert.equal(formatDuration(3 * 3600 + 5 * 60), '3h05m');
    assert.equal(formatDuration(Infinity), '?');
  });
});
