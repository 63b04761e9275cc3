// The inputs of the plan and backups queries, as a script may send them to the worker: checked there first,
// each problem an InvalidInput naming the field (a usage error when the CLI reads it back).
import assert from 'node:assert/strict';
import {
  describeArchiveWorkflowId,
  previewRestoreWorkflowId,
  validateArchiveQueryInput,
  validatePreviewRestoreInput,
  type PreviewRestoreInput,
} from '../../../src/core/archive-queries';
import { FailureTypes, RestoreError, restoreWorkflowId } from '../../../src/shared';

const valid: PreviewRestoreInput = { server: 'pg', bucket: 'b', prefix: '', taskQueue: 'pitr', targetTime: '2026-11-24T22:08:46.010383Z' };

function refusal(check: () => void): string {
  try {
    check();
  } catch (err) {
    assert.ok(err instanceof RestoreError, String(err));
    assert.equal(err.type, FailureTypes.InvalidInput);
    return err.message;
  }
  assert.fail('expected an InvalidInput refusal');
}

describe('core/archive-queries: the plan and backups queries', () => {
  it('accepts a complete input, with or without a destination', () => {
    validatePreviewRestoreInput(valid);
    validatePreviewRestoreInput({ ...valid, destination: '/srv/restored', tablespaces: [{ name: 'ts1', location: '/srv/ts1' }] });
    validateArchiveQueryInput({ server: 'pg', bucket: 'b', prefix: 'backups/', taskQueue: 'host-a' });
  });

  it('refuses a missing bucket, a bad server name, a time without microseconds in UTC, a relative destination, tablespaces without one', () => {
    assert.match(refusal(() => validateArchiveQueryInput({ ...valid, bucket: '' })), /^bucket is "";/);
    assert.match(refusal(() => validateArchiveQueryInput({ ...valid, server: '../etc' })), /server name "\.\.\/etc" is not valid/);
    assert.match(refusal(() => validateArchiveQueryInput({ ...valid, prefix: undefined as unknown as string })), /^prefix is undefined;/);
    assert.match(refusal(() => validatePreviewRestoreInput({ ...valid, targetTime: '2026-11-24 22:08:46' })), /^targetTime is "2026-11-24 22:08:46"; expected a UTC time/);
    assert.match(refusal(() => validatePreviewRestoreInput({ ...valid, destination: 'srv/restored' })), /^destination is "srv\/restored"; expected an absolute path/);
    assert.match(refusal(() => validatePreviewRestoreInput({ ...valid, tablespaces: [{ name: 'ts1', location: '/srv/ts1' }] })), /tablespaces were chosen without a destination/);
  });

  it('names query workflows recognisably, never like a restore (pitr:<server>:<destination>)', () => {
    assert.equal(previewRestoreWorkflowId('pg', 'u1'), 'pitr-plan:pg:u1');
    assert.equal(describeArchiveWorkflowId('pg', 'u1'), 'pitr-backups:pg:u1');
    assert.ok(!previewRestoreWorkflowId('pg', 'u1').startsWith(restoreWorkflowId('pg', '')));
  });
});
