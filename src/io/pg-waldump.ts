// Reads the commit and abort records of one WAL segment with pg_waldump: the only safe way to know
// whether a segment holds a commit later than a target (S3 LastModified lags behind WAL writing).
import { join } from 'node:path';
import { parseTransactionRecords, type TransactionRecord } from '../core/waldump-output';
import { parseWalRecords, type WalRecord } from '../core/wal-records';
import { runCommand } from './run-command';
import { FailureTypes, RestoreError } from '../shared';

/** Output pg_waldump prints when a lone segment simply ends (the next one is not beside it). */
const END_OF_SEGMENT = /could not find file|invalid record length|invalid magic number|record with incorrect prev-link|contrecord is requested|there is no contrecord|error in WAL record/;

export async function readTransactionRecords(pgBinDir: string, segmentFile: string, signal?: AbortSignal): Promise<TransactionRecord[]> {
  return parseTransactionRecords(await waldumpOutput(pgBinDir, ['-r', 'Transaction', segmentFile], signal));
}

/** Every record of the segment (for targets found by reading WAL: transaction ends, restore points). */
export async function readWalRecords(pgBinDir: string, segmentFile: string, signal?: AbortSignal): Promise<WalRecord[]> {
  return parseWalRecords(await waldumpOutput(pgBinDir, [segmentFile], signal));
}

async function waldumpOutput(pgBinDir: string, args: string[], signal?: AbortSignal): Promise<string> {
  const segmentFile = args.at(-1)!;
  const result = await runCommand(join(pgBinDir, 'pg_waldump'), args, {
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
  return result.stdout;
}

export class CorruptWalError extends RestoreError {
  /** pg_waldump's complaint, its last lines on one line. */
  readonly detail: string;
  constructor(
    readonly file: string,
    detail: string,
  ) {
    const brief = detail.split('\n').slice(-3).join(' ');
    super(FailureTypes.CorruptArchive, `WAL segment ${file} could not be read by pg_waldump: ${brief}`);
    this.name = 'CorruptWalError';
    this.detail = brief;
  }
}
