// Which worker `pitr restore` sends a restore to: PITR_SERVER_QUEUES maps servers to their Barman host's queue.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRestoreArgs } from '../../../src/cli/restore';
import { settingsEnvironment } from '../../../src/settings';

const args = (server: string) => ['--server', server, '--target-time', '2026-12-01 06:34:09+00', '--dest', '/srv/r'];
const env = { PITR_BUCKET: 'b', PITR_TASK_QUEUE: 'default-q', PITR_SERVER_QUEUES: 'pg=host-a,orders=host-b' };

describe('pitr restore: the task queue', () => {
  it("goes to the server's queue from PITR_SERVER_QUEUES without --task-queue", () => {
    assert.deepEqual(
      (({ input, queueSource }) => [input.taskQueue, queueSource])(parseRestoreArgs(args('orders'), env)),
      ['host-b', 'PITR_SERVER_QUEUES'],
    );
    assert.equal(parseRestoreArgs(args('pg'), env).input.taskQueue, 'host-a');
  });

  it('an explicit --task-queue wins; a server without an entry goes to PITR_TASK_QUEUE', () => {
    assert.equal(parseRestoreArgs([...args('pg'), '--task-queue', 'manual'], env).input.taskQueue, 'manual');
    assert.equal(parseRestoreArgs(args('other'), env).input.taskQueue, 'default-q');
    assert.equal(parseRestoreArgs(args('other'), { PITR_BUCKET: 'b' }).input.taskQueue, 'pitr');
  });

  it('reads the mapping from a settings file too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pitr-queues-'));
    try {
      const file = join(dir, 'pitr.env');
      writeFileSync(file, '# one control plane, two Barman hosts\nPITR_SERVER_QUEUES="pg=host-a,orders=host-b"\n');
      assert.equal(parseRestoreArgs(args('orders'), settingsEnvironment({ PITR_CONFIG: file, PITR_BUCKET: 'b' })).input.taskQueue, 'host-b');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad mapping even with --task-queue, naming the entry and the accepted form', () => {
    assert.throws(
      () => parseRestoreArgs([...args('pg'), '--task-queue', 'manual'], { PITR_BUCKET: 'b', PITR_SERVER_QUEUES: 'pg=host-a;orders=host-b' }),
      /PITR_SERVER_QUEUES entry 1 "pg=host-a;orders=host-b" has a task queue name Temporal does not accept .*: expected SERVER=QUEUE entries separated by commas/,
    );
  });
});
