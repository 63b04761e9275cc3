// What the activities' failure adapter makes of errors: retrying cannot fix a permission problem, so a real
// EACCES/EPERM from the file system becomes a non-retryable PermissionDenied naming the path; a full disk
// stays retryable (making room resumes the restore).
import { ApplicationFailure } from '@temporalio/activity';
import assert from 'node:assert/strict';
import { constants } from 'node:fs';
import { execFile } from 'node:child_process';
import { access, link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toActivityFailure } from '../../../src/activities/failures';
import { DiskFullError } from '../../../src/io/disk-full';
import { FailureTypes, RestoreError } from '../../../src/shared';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function failureOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => assert.fail('expected the call to fail'),
    (e: unknown) => e,
  );
}

describe('toActivityFailure', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pitr-failures-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a RecoveryStoppedShort from verify (core/recovery-stop) is non-retryable, with its type and message', () => {
    const failure = toActivityFailure(new RestoreError(FailureTypes.RecoveryStoppedShort, 'PostgreSQL paused replay at 0/50000A0 (XLOG/PARAMETER_CHANGE) before reaching ...'));
    assert.ok(failure instanceof ApplicationFailure, String(failure));
    assert.equal(failure.type, 'RecoveryStoppedShort');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /^PostgreSQL paused replay at 0\/50000A0/);
  });

  it('EACCES (a real one: executing a file without an x bit, refused even to root) is a non-retryable PermissionDenied naming the path', async () => {
    const file = join(dir, 'not-executable');
    await writeFile(file, 'data', { mode: 0o644 });
    const err = await failureOf(access(file, constants.X_OK));
    assert.equal((err as NodeJS.ErrnoException).code, 'EACCES');
    const failure = toActivityFailure(err);
    assert.ok(failure instanceof ApplicationFailure, String(failure));
    assert.equal(failure.type, FailureTypes.PermissionDenied);
    assert.equal(failure.nonRetryable, true);
    assert.ok(failure.message.startsWith(`permission denied (EACCES, access) on ${file}: the worker (uid ${process.getuid!()}) may not do this there, and retrying cannot change that. `), failure.message);
    assert.match(failure.message, /owner and mode/);
    assert.match(failure.message, /then start the restore again/);
  });

  it('EPERM (a real one: a hard link to a directory) is a non-retryable PermissionDenied', async () => {
    const err = await failureOf(link(dir, `${dir}.link`));
    assert.equal((err as NodeJS.ErrnoException).code, 'EPERM');
    const failure = toActivityFailure(err) as ApplicationFailure;
    assert.equal(failure.type, FailureTypes.PermissionDenied);
    assert.equal(failure.nonRetryable, true);
    assert.ok(failure.message.startsWith(`operation not permitted (EPERM, link) on ${dir} -> ${dir}.link: `), failure.message);
  });

  it("a read-only file system behind Node's recursive mkdir (which says ENOENT) is a non-retryable PermissionDenied naming EROFS", async () => {
    const mount = join(dir, 'ro');
    await mkdir(mount);
    await run('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mount]);
    try {
      const err = await failureOf(mkdir(join(mount, 'restores', 'x'), { recursive: true }));
      assert.equal((err as NodeJS.ErrnoException).code, 'ENOENT', 'what Node 20 reports');
      const failure = toActivityFailure(err) as ApplicationFailure;
      assert.equal(failure.type, FailureTypes.PermissionDenied);
      assert.equal(failure.nonRetryable, true);
      // Node names the first folder it could not make.
      assert.ok(failure.message.startsWith(`read-only file system (EROFS, mkdir) on ${join(mount, 'restores')}: `), failure.message);
    } finally {
      await run('umount', [mount]);
    }
    // A genuine ENOENT (the parent is writable, the path raced away) stays what it is.
    const missing = Object.assign(new Error('ENOENT'), { code: 'ENOENT', syscall: 'mkdir', path: join(dir, 'gone', 'x') });
    assert.equal(toActivityFailure(missing), missing);
  });

  it('a full disk and other errors stay retryable', () => {
    const full = new DiskFullError('ENOSPC', '/x/y', 'writing');
    assert.equal(toActivityFailure(full), full);
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    assert.equal(toActivityFailure(reset), reset);
  });
});
