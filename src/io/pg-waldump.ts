// Reads the commit and abort records of one WAL segment with pg_waldump: the only safe way to know
// whether a segment holds a commit later than a target (S3 LastModified lags behind WAL writing).
import { join } from 'node:path';
import { parseTransactionRecords } from '../core/waldump-output';
import { runCommand } from './run-command';

export type TransactionRecord = ReturnType<typeof parseTransactionRecords>[number];

/** Output pg_waldump prints when a lone segment simply ends (the next one is not beside it). */
const END_OF_SEGMENT = /could not find file|invalid record length|invalid magic number|record with incorrect prev-link|contrecord is requested|there is no contrecord|error in WAL record/;

export async function readTransactionRecords(pgBinDir: string, segmentFile: string, signal?: AbortSignal): Promise<TransactionRecord[]> {
  const result = await runCommand(join(pgBinDir, 'pg_waldump'), ['-r', 'Transaction', segmentFile], {
    env: { TZ: 'UTC' },
    signal,
    allowFailure: true,
  });
  if (result.exitCode !== 0 && !END_OF_SEGMENT.test(result.stderr)) {
    throw new CorruptWalError(segmentFile, result.stderr.trim());
  }
  if (result.exitCode !== 0 && result.stdout.trim() === '' && /invalid magic number|could not read file|not a valid/.test(result.stderr)) {
    throw new CorruptWalError(segmentFile, result.stderr.trim());
  }
  return parseTransactionRecords(result.stdout);
}

export class CorruptWalError extends Error {
  readonly type = 'CorruptArchive';
  constructor(file: string, detail: string) {
    super(`WAL segment ${file} could not be read by pg_waldump: ${detail.split('\n').slice(-3).join(' ')}`);
    this.name = 'CorruptWalError';
  }
}
