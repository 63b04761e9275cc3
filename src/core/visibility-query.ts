// The Temporal visibility query behind `pitr list`: restores by status and server, through the search
// attributes the stack registers (RestoreServer, ...) and Temporal's own ExecutionStatus.
import { SearchAttributes, WORKFLOW_TYPE } from '../shared';
import { assertValidServerName } from './s3-layout';

/** `--status` values and the ExecutionStatus each one means (Temporal spells it "Canceled"). */
export const RESTORE_STATUS_FILTERS = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Canceled',
  terminated: 'Terminated',
  'timed-out': 'TimedOut',
} as const;
export type RestoreStatusFilter = keyof typeof RESTORE_STATUS_FILTERS;

export function isRestoreStatusFilter(text: string): text is RestoreStatusFilter {
  return Object.hasOwn(RESTORE_STATUS_FILTERS, text);
}

export interface RestoreListFilter {
  status?: RestoreStatusFilter;
  server?: string;
}

/** `WorkflowType = 'restoreToPointInTime' AND ExecutionStatus = 'Running' AND RestoreServer = 'pg'`. */
export function restoreListQuery(filter: RestoreListFilter): string {
  const clauses = [`WorkflowType = '${WORKFLOW_TYPE}'`];
  if (filter.status !== undefined) {
    if (!isRestoreStatusFilter(filter.status)) throw new RangeError(`unknown restore status ${JSON.stringify(filter.status)}`);
    clauses.push(`ExecutionStatus = '${RESTORE_STATUS_FILTERS[filter.status]}'`);
  }
  if (filter.server !== undefined) {
    // Server names are letters, digits, ".", "_" and "-": nothing that could end the quoted literal.
    assertValidServerName(filter.server);
    clauses.push(`${SearchAttributes.server.name} = '${filter.server}'`);
  }
  return clauses.join(' AND ');
}
