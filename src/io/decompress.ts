// Decompresses one archived WAL file to a plain file for pg_waldump, streamed: gzip in-process (node:zlib),
// every other compression barman-cloud-wal-archive writes (bzip2, xz, zstd, lz4, snappy) through its
// Debian decompressor (external-decompressor.ts).
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { WalCompression } from '../core/s3-layout';
import { asDiskFull } from './disk-full';
import { DecompressorFailedError, startDecompressor, type DecompressorOptions, type ExternalCodec } from './external-decompressor';
import { FailureTypes, RestoreError } from '../shared';

/**
 * Read and inflate in 1 MiB pieces, not the streams' 64 KiB and zlib's 16 KiB defaults: a 16 MiB segment
 * of pgbench WAL gunzipped in 147 ms with those and in 46-65 ms with these (bench/codec-speed.js, the
 * same machine and hour), as tar-extract's gunzip found before.
 */
const CHUNK_BYTES = 1024 * 1024;

/**
 * Decompresses `source` into `target`. Data that does not decompress gives a {@link CorruptCompressedFileError};
 * a missing decompressor a ToolMissingError naming its package; a full disk a DiskFullError naming `target`.
 * `options.path` is where the decompressors are looked up (default: this process's PATH).
 */
export async function decompressFile(
  source: string,
  target: string,
  compression: WalCompression,
  signal?: AbortSignal,
  options: Omit<DecompressorOptions, 'signal'> = {},
): Promise<void> {
  try {
    switch (compression) {
      case 'none':
        await copyFile(source, target);
        return;
      case 'gzip':
        await pipeline(createReadStream(source, { highWaterMark: CHUNK_BYTES }), createGunzip({ chunkSize: CHUNK_BYTES }), createWriteStream(target), { signal });
        return;
      default:
        await decompressExternally(source, target, compression, { ...options, signal });
    }
  } catch (err) {
    if (err instanceof DecompressorFailedError) throw new CorruptCompressedFileError(source, compression, err.detail);
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) throw new CorruptCompressedFileError(source, compression, `gzip: ${(err as Error).message}`);
    throw asDiskFull(err, target, `decompressing ${source} into`);
  }
}

async function decompressExternally(source: string, target: string, codec: ExternalCodec, options: DecompressorOptions): Promise<void> {
  const { signal } = options;
  const tool = startDecompressor(codec, options);
  const [feed, drain, exit] = await Promise.allSettled([
    pipeline(createReadStream(source, { highWaterMark: CHUNK_BYTES }), tool.stdin, { signal }),
    pipeline(tool.stdout, createWriteStream(target), { signal }),
    tool.exited,
  ]);
  signal?.throwIfAborted();
  // A tool quitting on bad data breaks the pipe feeding it: its own exit status says more than EPIPE. But a
  // full disk on our side kills the tool with SIGPIPE in turn, and is the real story then.
  const diskFull = drain.status === 'rejected' && asDiskFull(drain.reason, target, '') !== drain.reason;
  for (const outcome of diskFull ? [drain] : [exit, drain, feed]) if (outcome.status === 'rejected') throw outcome.reason;
}

/** A compressed file whose data does not decompress: damaged or not what its name says. */
export class CorruptCompressedFileError extends RestoreError {
  constructor(
    readonly file: string,
    readonly compression: WalCompression,
    readonly detail: string,
  ) {
    super(FailureTypes.CorruptArchive, `${file} is not valid ${compression} data (${detail})`);
    this.name = 'CorruptCompressedFileError';
  }
}
