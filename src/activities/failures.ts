// One place that turns errors into Temporal failures: typed, non-retryable ones for what retrying
// cannot fix, plain (retryable) errors for everything else.
import { ApplicationFailure } from '@temporalio/activity';
import { accessSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { FailureTypes, RestoreError } from '../shared';
import { classifyS3Error } from '../io/s3-client';

export function toActivityFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure) return err;
  // Every failure retrying cannot fix is a RestoreError with its type (shared.ts); everything else is retried.
  if (err instanceof RestoreError) return ApplicationFailure.nonRetryable(err.message, err.type);
  if ((err as { $metadata?: unknown })?.$metadata !== undefined) {
    const s3 = classifyS3Error(err);
    if (!s3.retryable) return ApplicationFailure.nonRetryable(s3.message, s3.type ?? 'AccessDenied');
  }
  const denied = permissionDenied(err);
  if (denied) return ApplicationFailure.nonRetryable(denied, FailureTypes.PermissionDenied);
  return err;
}

const PERMISSION_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
};

/**
 * A file-system refusal as a message, or undefined for other errors. Unlike a full disk (retried: making
 * room resumes the restore), nothing changes a refusal between attempts: it stops the restore, naming the
 * path and the operation, for a person to fix.
 */
function permissionDenied(err: unknown): string | undefined {
  const e = err as { code?: unknown; path?: unknown; dest?: unknown; syscall?: unknown } | null;
  const code = typeof e?.code === 'string' ? (e.code === 'ENOENT' ? (refusalBehindEnoent(e) ?? e.code) : e.code) : '';
  const what = PERMISSION_ERRORS[code];
  if (!what) return undefined;
  const path = typeof e?.path === 'string' ? e.path : undefined;
  const on = path ? ` on ${path}${typeof e?.dest === 'string' ? ` -> ${e.dest}` : ''}` : '';
  const syscall = typeof e?.syscall === 'string' ? `, ${e.syscall}` : '';
  const uid = typeof process.getuid === 'function' ? `uid ${process.getuid()}` : 'its user';
  return (
    `${what} (${code}${syscall})${on}: the worker (${uid}) may not do this there, and retrying cannot change that. ` +
    (path
      ? `Check the owner and mode of ${path} and of its parent directories (a read-only or root-squashed mount refuses even root), fix them, `
      : 'Check what refuses the worker (a security policy, a firewall), fix it, ') +
    'then start the restore again'
  );
}

/**
 * Node's recursive mkdir reports ENOENT where mkdir(2) said EROFS or EACCES (Node 20: a read-only mount
 * gives "ENOENT: no such file or directory, mkdir"). The nearest existing parent tells: the code of its
 * refusal to be written, or undefined when it is writable (the ENOENT is what it says).
 */
function refusalBehindEnoent(e: { syscall?: unknown; path?: unknown }): string | undefined {
  if (e.syscall !== 'mkdir' || typeof e.path !== 'string') return undefined;
  for (let dir = dirname(e.path); ; dir = dirname(dir)) {
    try {
      accessSync(dir, constants.W_OK);
      return undefined;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' || dirname(dir) === dir) return code && PERMISSION_ERRORS[code] ? code : undefined;
    }
  }
}

/** Runs an activity body, converting what it throws. */
export async function adaptFailures<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw toActivityFailure(err);
  }
}
