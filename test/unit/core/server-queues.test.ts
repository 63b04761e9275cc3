import assert from 'node:assert/strict';
import { parseServerQueues, taskQueueFor } from '../../../src/core/server-queues';

describe('PITR_SERVER_QUEUES: the task queue of each server', () => {
  it('reads SERVER=QUEUE entries, ignoring spaces around them and around "="', () => {
    assert.deepEqual([...parseServerQueues('pg=host-a, orders = host-b ,c319-lz4-zstd-15=barman.eu-1')], [
      ['pg', 'host-a'],
      ['orders', 'host-b'],
      ['c319-lz4-zstd-15', 'barman.eu-1'],
    ]);
  });

  it('is empty when unset or blank', () => {
    assert.equal(parseServerQueues(undefined).size, 0);
    assert.equal(parseServerQueues('  ').size, 0);
  });

  it('refuses a bad entry, naming it (by position and text) and the accepted form', () => {
    const form = /: expected SERVER=QUEUE entries separated by commas, e.g. PITR_SERVER_QUEUES="pg=host-a,orders=host-b"$/;
    const refused = (text: string, problem: RegExp) =>
      assert.throws(() => parseServerQueues(text), (err: Error) => err.name === 'ServerQueuesError' && problem.test(err.message) && form.test(err.message), text);
    refused('pg=host-a,orders', /^PITR_SERVER_QUEUES entry 2 "orders" has no "="/);
    refused('pg:host-a', /^PITR_SERVER_QUEUES entry 1 "pg:host-a" has no "="/);
    refused('=host-a', /entry 1 "=host-a" names no server before "="/);
    refused('pg=', /entry 1 "pg=" names no task queue after "="/);
    refused('pg=host-a,', /entry 2 "" is empty/);
    refused('pg=host-a,,orders=b', /entry 2 "" is empty/);
    refused('a/b=host-a', /entry 1 "a\/b=host-a" has a server name barman-cloud does not use/);
    refused('-pg=host-a', /has a server name barman-cloud does not use/);
    refused('pg=host a', /entry 1 "pg=host a" has a task queue name Temporal does not accept/);
    refused('pg=a=b', /has a task queue name Temporal does not accept/);
    refused(`pg=${'q'.repeat(1001)}`, /at most 1000 characters/);
    refused('pg=host-a,pg=host-b', /^PITR_SERVER_QUEUES entry 2 "pg=host-b" gives server pg a second queue \(it already maps to host-a\)/);
  });

  it('chooses --task-queue, then the server\'s entry, then the default queue', () => {
    const serverQueues = parseServerQueues('pg=host-a');
    assert.deepEqual(taskQueueFor('pg', { explicit: 'manual', serverQueues, defaultQueue: 'pitr' }), { queue: 'manual', source: '--task-queue' });
    assert.deepEqual(taskQueueFor('pg', { serverQueues, defaultQueue: 'pitr' }), { queue: 'host-a', source: 'PITR_SERVER_QUEUES' });
    assert.deepEqual(taskQueueFor('orders', { serverQueues, defaultQueue: 'pitr' }), { queue: 'pitr', source: 'PITR_TASK_QUEUE' });
  });
});
