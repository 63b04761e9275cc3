import assert from 'node:assert/strict';
import { InvalidServerNameError } from '../../../src/core/s3-layout';
import { isRestoreStatusFilter, RESTORE_STATUS_FILTERS, restoreListQuery } from '../../../src/core/visibility-query';

describe('core/visibility-query', () => {
  it('lists restores of every status and server by default', () => {
    assert.equal(restoreListQuery({}), "WorkflowType = 'restoreToPointInTime'");
  });

  it('filters by ExecutionStatus, spelled as Temporal does', () => {
    assert.equal(restoreListQuery({ status: 'running' }), "WorkflowType = 'restoreToPointInTime' AND ExecutionStatus = 'Running'");
    assert.equal(restoreListQuery({ status: 'cancelled' }), "WorkflowType = 'restoreToPointInTime' AND ExecutionStatus = 'Canceled'");
    assert.equal(restoreListQuery({ status: 'timed-out' }), "WorkflowType = 'restoreToPointInTime' AND ExecutionStatus = 'TimedOut'");
  });

  it('filters by the RestoreServer search attribute', () => {
    assert.equal(
      restoreListQuery({ status: 'failed', server: 'pg-main_1.eu' }),
      "WorkflowType = 'restoreToPointInTime' AND ExecutionStatus = 'Failed' AND RestoreServer = 'pg-main_1.eu'",
    );
  });

  it('refuses a server name that could break out of the quoted literal', () => {
    assert.throws(() => restoreListQuery({ server: "pg' OR 1=1 OR RestoreServer='x" }), InvalidServerNameError);
    assert.throws(() => restoreListQuery({ server: '' }), InvalidServerNameError);
  });

  it('knows exactly the statuses it documents', () => {
    assert.deepEqual(Object.keys(RESTORE_STATUS_FILTERS), ['running', 'completed', 'failed', 'cancelled', 'terminated', 'timed-out']);
    assert.equal(isRestoreStatusFilter('running'), true);
    assert.equal(isRestoreStatusFilter('RUNNING'), false);
    assert.equal(isRestoreStatusFilter('toString'), false);
    assert.throws(() => restoreListQuery({ status: 'bogus' as never }), RangeError);
  });
});
