// PITR_SERVER_QUEUES: which Barman host's task queue serves each server, so that one CLI (one control plane)
// reaches every host's worker without --task-queue. Each worker polls its own host's queue; a restore's steps
// must run on the host whose disk holds the work area and the destination.
import { InvalidServerNameError, assertValidServerName } from './s3-layout';

export const SERVER_QUEUES_SETTING = 'PITR_SERVER_QUEUES';
const ACCEPTED_FORM = `SERVER=QUEUE entries separated by commas, e.g. ${SERVER_QUEUES_SETTING}="pg=host-a,orders=host-b"`;

/** Temporal's limit on a task queue name. */
const MAX_QUEUE_LENGTH = 1000;

export class ServerQueuesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerQueuesError';
  }
}

/**
 * Parses `pg=host-a,orders=host-b` (spaces around entries and around "=" are ignored; an empty value means no
 * mapping). An entry that is not SERVER=QUEUE, a server name barman-cloud would not accept, a queue name
 * Temporal would not, or a server given twice is refused, naming the entry and the accepted form.
 */
export function parseServerQueues(text: string | undefined): ReadonlyMap<string, string> {
  const queues = new Map<string, string>();
  if (text === undefined || text.trim() === '') return queues;
  text.split(',').forEach((raw, index) => {
    const entry = raw.trim();
    const where = `${SERVER_QUEUES_SETTING} entry ${index + 1} ${JSON.stringify(entry)}`;
    const refuse = (problem: string) => new ServerQueuesError(`${where} ${problem}: expected ${ACCEPTED_FORM}`);
    if (entry === '') throw refuse('is empty (two commas in a row, or a comma at an end)');
    const equals = entry.indexOf('=');
    if (equals < 0) throw refuse('has no "="');
    const server = entry.slice(0, equals).trim();
    const queue = entry.slice(equals + 1).trim();
    if (server === '') throw refuse('names no server before "="');
    if (queue === '') throw refuse('names no task queue after "="');
    try {
      assertValidServerName(server);
    } catch (err) {
      if (err instanceof InvalidServerNameError) throw refuse(`has a server name barman-cloud does not use (letters, digits, ".", "_" and "-"; not starting with "-")`);
      throw err;
    }
    if (/[\s=\u0000-\u001f\u007f]/.test(queue) || queue.length > MAX_QUEUE_LENGTH || queue.startsWith('/_sys/')) {
      throw refuse(`has a task queue name Temporal does not accept (no spaces, "=" or control characters, at most ${MAX_QUEUE_LENGTH} characters)`);
    }
    const earlier = queues.get(server);
    if (earlier !== undefined) throw refuse(`gives server ${server} a second queue (it already maps to ${earlier})`);
    queues.set(server, queue);
  });
  return queues;
}

export type QueueSource = '--task-queue' | typeof SERVER_QUEUES_SETTING | 'PITR_TASK_QUEUE';

/** The queue a restore of `server` goes to: --task-queue wins, then the server's mapping, then the one default queue. */
export function taskQueueFor(server: string, choices: { explicit?: string; serverQueues: ReadonlyMap<string, string>; defaultQueue: string }): { queue: string; source: QueueSource } {
  if (choices.explicit) return { queue: choices.explicit, source: '--task-queue' };
  const mapped = choices.serverQueues.get(server);
  if (mapped !== undefined) return { queue: mapped, source: SERVER_QUEUES_SETTING };
  return { queue: choices.defaultQueue, source: 'PITR_TASK_QUEUE' };
}
