// Which compression a file's first bytes announce, the way Barman itself tells (by magic numbers, not by
// name): used on staged WAL, whose compression extension the download already stripped.
// Magic numbers: gzip RFC 1952 §2.3.1; bzip2 "BZh"; xz file format §2.1.1.1; zstd RFC 8878 §3.1.1;
// LZ4 frame format (lz4_Frame_format.md); snappy framing format stream identifier (framing_format.txt).
import type { WalCompression } from './s3-layout';

const MAGIC: ReadonlyArray<[Exclude<WalCompression, 'none'>, number[]]> = [
  ['gzip', [0x1f, 0x8b]],
  ['bzip2', [0x42, 0x5a, 0x68]],
  ['xz', [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
  ['zstd', [0x28, 0xb5, 0x2f, 0xfd]],
  ['lz4', [0x04, 0x22, 0x4d, 0x18]],
  ['snappy', [0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59]],
];

/** The longest magic number: read this many bytes. */
export const MAGIC_BYTES = 10;

/** The compression whose magic number `head` starts with; `none` for anything else (a plain WAL page starts with its own magic). */
export function compressionFromMagic(head: Uint8Array): WalCompression {
  for (const [compression, magic] of MAGIC) {
    if (head.length >= magic.length && magic.every((byte, i) => head[i] === byte)) return compression;
  }
  return 'none';
}

/**
 * Compressions every Barman from 3.4 on reads by itself. The others (xz, zstd, lz4, snappy) are read only
 * by Barman 3.12+ (snappy 3.14+) and only when its optional Python modules are installed, which Debian's
 * packages are not: the worker decompresses those itself, so one rule holds for every Barman.
 */
export function barmanReadsEverywhere(compression: WalCompression): boolean {
  return compression === 'gzip' || compression === 'bzip2' || compression === 'none';
}
