// Decompresses one archived WAL file to a plain file for pg_waldump, streamed.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { asDiskFull } from './disk-full';

export type WalCompression = 'gzip' | 'bzip2' | 'snappy' | 'xz' | 'zstd' | 'lz4' | 'none';

/**
 * Decompresses `source` into `target`. Data that does not decompress gives a {@link CorruptCompressedFileError};
 * a full disk a DiskFullError naming `target`.
 */
export async function decompressFile(source: string, target: string, compression: WalCompression, signal?: AbortSignal): Promise<void> {
  try {
    await decompress(source, target, compression, signal);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_')) throw new CorruptCompressedFileError(source, compression, `gzip: ${(err as Error).message}`);
    throw asDiskFull(err, target, `decompressing ${source} into`);
  }
}

async function decompress(source: string, target: string, compression: WalCompression, signal?: AbortSignal): Promise<void> {
  switch (compression) {
    case 'none':
      await copyFile(source, target);
      return;
    case 'gzip':
      await pipeline(createReadStream(source), createGunzip(), createWriteStream(target), { signal });
      return;
    case 'bzip2': {
      const child = spawn('bzip2', ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'], signal });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        if (stderr.length < 2048) stderr += d.toString('utf8');
      });
      const exited = new Promise<void>((resolve, reject) => {
        child.once('error', reject);
        child.once('close', (code) =>
          code === 0 ? resolve() : reject(new CorruptCompressedFileError(source, compression, `bzip2 -dc exited with status ${code}: ${stderr.trim().split('\n')[0] ?? ''}`)),
        );
      });
      const [feed, drain, exit] = await Promise.allSettled([
        pipeline(createReadStream(source), child.stdin, { signal }),
        pipeline(child.stdout, createWriteStream(target), { signal }),
        exited,
      ]);
      signal?.throwIfAborted();
      // bzip2 quitting on bad data breaks the pipe feeding it: its own exit status says more than EPIPE. But a
      // full disk on our side kills bzip2 with SIGPIPE in turn, and is the real story then.
      const diskFull = drain.status === 'rejected' && asDiskFull(drain.reason, target, '') !== drain.reason;
      for (const outcome of diskFull ? [drain] : [exit, drain, feed]) if (outcome.status === 'rejected') throw outcome.reason;
      return;
    }
    default:
      throw new UnsupportedCompressionError(source, compression);
  }
}

/** A compressed file whose data does not decompress: damaged or not what its name says. */
export class CorruptCompressedFileError extends Error {
  readonly type = 'CorruptArchive';
  constructor(
    readonly file: string,
    readonly compression: WalCompression,
    readonly detail: string,
  ) {
    super(`${file} is not valid ${compression} data (${detail})`);
    this.name = 'CorruptCompressedFileError';
  }
}

export class UnsupportedCompressionError extends Error {
  readonly type = 'CorruptArchive';
  constructor(file: string, compression: string) {
    super(`${file} is ${compression}-compressed; Barman can only read gzip, bzip2 or uncompressed WAL locally. Archive with --gzip or --bzip2.`);
    this.name = 'UnsupportedCompressionError';
  }
}
