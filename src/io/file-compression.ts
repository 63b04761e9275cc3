// The compression a file on disk really has, read from its first bytes (see core/compression-magic).
import { open } from 'node:fs/promises';
import { compressionFromMagic, MAGIC_BYTES } from '../core/compression-magic';
import type { WalCompression } from '../core/s3-layout';

/**
 * Staged WAL may already have been decompressed in place by an earlier attempt, so the compression a
 * key's extension names is not always what is on disk: this is.
 */
export async function fileCompression(path: string): Promise<WalCompression> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(MAGIC_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, MAGIC_BYTES, 0);
    return compressionFromMagic(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
