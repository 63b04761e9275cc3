// `pitr list`: restores from Temporal visibility, newest first: id, status, server, target, backup,
// phase, start and close times (from the search attributes every restore carries).
import { parseArgs } from 'node:util';
import { formatOffsetDate, formatTable, isoOffsetDate } from '../core/report-format';
import { InvalidServerNameError } from '../core/s3-layout';
import { isRestoreStatusFilter, RESTORE_STATUS_FILTERS, restoreListQuery, type RestoreListFilter } from '../core/visibility-query';
import { withPitrClient, type ListedRestore } from '../pitr-client';
import { UsageError } from './usage-error';

const STATUSES = Object.keys(RESTORE_STATUS_FILTERS).join('|');
export const LIST_USAGE = `pitr list [--status ${STATUSES}] [--server NAME] [--limit N] [--json]
      restores known to Temporal, newest first (default limit 20)`;
const DEFAULT_LIMIT = 20;

export function parseListArgs(argv: string[]): { filter: RestoreListFilter; limit: number; json: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      status: { type: 'string' },
      server: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const filter: RestoreListFilter = {};
  if (values.status !== undefined) {
    const status = values.status.toLowerCase();
    if (!isRestoreStatusFilter(status)) {
      throw new UsageError(`--status ${JSON.stringify(values.status)} is not a restore status; accepted: ${Object.keys(RESTORE_STATUS_FILTERS).join(', ')}`);
    }
    filter.status = status;
  }
  if (values.server !== undefined) filter.server = values.server;
  const limit = values.limit === undefined ? DEFAULT_LIMIT : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit ${JSON.stringify(values.limit)} is not a positive whole number`);
  try {
    restoreListQuery(filter);
  } catch (err) {
    if (err instanceof InvalidServerNameError) throw new UsageError(err.message);
    throw err;
  }
  return { filter, limit, json: values.json ?? false };
}

export async function runList(argv: string[]): Promise<number> {
  const { filter, limit, json } = parseListArgs(argv);
  return withPitrClient(async (client) => {
    const { query, total, restores } = await client.list(filter, limit);
    if (json) {
      console.log(JSON.stringify({ query, total, restores: restores.map(restoreJson) }, null, 2));
    } else {
      console.log(formatRestoreList(restores, total).join('\n'));
    }
    return 0;
  });
}

function restoreJson(r: ListedRestore): object {
  return {
    ...r,
    // A Temporal Datetime attribute: millisecond precision (the restore's input keeps the microseconds).
    targetTime: r.targetTime ? isoOffsetDate(r.targetTime) : null,
    startTime: isoOffsetDate(r.startTime),
    closeTime: r.closeTime ? isoOffsetDate(r.closeTime) : null,
  };
}

export function formatRestoreList(restores: ListedRestore[], total: number): string[] {
  if (restores.length === 0) return ['no restores match'];
  const table = formatTable(
    [{ header: 'RESTORE ID' }, { header: 'STATUS' }, { header: 'SERVER' }, { header: 'TARGET' }, { header: 'BACKUP' }, { header: 'PHASE' }, { header: 'STARTED' }, { header: 'CLOSED' }],
    restores.map((r) => [
      r.id,
      r.status,
      r.server ?? '-',
      r.targetTime ? formatOffsetDate(r.targetTime) : '-',
      r.backupId ?? '-',
      r.phase ?? '-',
      formatOffsetDate(r.startTime),
      r.closeTime ? formatOffsetDate(r.closeTime) : '-',
    ]),
  );
  return total > restores.length ? [...table, `(${restores.length} of ${total} shown; --limit N for more)`] : table;
}
