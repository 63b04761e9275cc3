// A full disk (ENOSPC) or an exhausted quota (EDQUOT) while writing into the work area, as a message a
// person can act on: what was being written, where, and that the restore carries on by itself once there
// is room. Node's own message ("ENOSPC: no space left on device, write") names neither the file nor the
// step. It stays a retryable failure on purpose: freeing disk space resumes the restore where it was.

export class DiskFullError extends Error {
  constructor(
    readonly code: 'ENOSPC' | 'EDQUOT',
    /** The file or directory being written. */
    readonly path: string,
    /** What was being done, ending where the path fits: "extracting X, writing", "downloading s3://b/k to". */
    doing: string,
  ) {
    const what = code === 'ENOSPC' ? 'no space left on device (ENOSPC)' : 'disk quota exceeded (EDQUOT)';
    super(
      `${what} while ${doing} ${path}. Free space on the file system holding it (the worker's work area, PITR_BARMAN_HOME); ` +
        'the restore retries this step by itself and carries on once there is room, reusing what is already complete',
    );
    this.name = 'DiskFullError';
  }
}

/** `err` as a DiskFullError when it is one, else unchanged. */
export function asDiskFull(err: unknown, path: string, doing: string): unknown {
  if (err instanceof DiskFullError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' ? new DiskFullError(code, path, doing) : err;
}
