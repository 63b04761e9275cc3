// Decompresses one archived WAL file to a plain file for pg_waldump, streamed.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';

export type WalCompression = 'gzip' | 'bzip2' | 'snappy' | 'xz' | 'zstd' | 'lz4' | 'none';

export async function decompressFile(source: string, target: string, compression: WalCompression, signal?: AbortSignal): Promise<void> {
  switch (compression) {
    case 'none':
      await copyFile(source, target);
      return;
    case 'gzip':
      await pipeline(createReadStream(source), createGunzip(), createWriteStream(target), { signal });
      return;
    case 'bzip2': {
      const child = spawn('bzip2', ['-dc'], { stdio: ['pipe', 'pipe', 'inherit'], signal });
      const exited = new Promise<void>((resolve, reject) => {
        child.once('error', reject);
        child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`bzip2 -dc failed on ${source} (exit ${code})`))));
      });
      await Promise.all([
        pipeline(createReadStream(source), child.stdin, { signal }),
        pipeline(child.stdout, createWriteStream(target), { signal }),
        exited,
      ]);
      return;
    }
    default:
      throw new UnsupportedCompressionError(source, compression);
  }
}

export class UnsupportedCompressionError extends Error {
  readonly type = 'CorruptArchive';
  constructor(file: string, compression: string) {
    super(`${file} is ${compression}-compressed; Barman can only read gzip, bzip2 or uncompressed WAL locally. Archive with --gzip or --bzip2.`);
    this.name = 'UnsupportedCompressionError';
  }
}
