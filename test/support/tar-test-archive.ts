// Hand-made tar archives for the extraction tests: ustar headers written byte by byte, so that an
// archive can hold what no well-behaved tar tool would write (`..`, absolute paths, devices, ...).
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';

export type EntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo' | 'sparse';

const TYPE_FLAGS: Record<EntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
  sparse: 'S',
};

export interface TestEntry {
  path: string;
  type?: EntryType;
  body?: Buffer | string;
  linkpath?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
}

export function tarHeader(e: TestEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  const type = e.type ?? 'file';
  const put = (value: string, offset: number, length: number) => {
    const b = Buffer.from(value, 'utf8');
    if (b.length > length) throw new Error(`tar field too long: ${value}`);
    b.copy(h, offset);
  };
  const octal = (n: number, offset: number, length: number) => put(n.toString(8).padStart(length - 1, '0') + '\0', offset, length);
  put(e.path, 0, 100);
  octal(e.mode ?? (type === 'dir' ? 0o755 : 0o644), 100, 8);
  octal(e.uid ?? 0, 108, 8);
  octal(e.gid ?? 0, 116, 8);
  octal(size, 124, 12);
  octal(e.mtime ?? 1_700_000_000, 136, 12);
  h.fill(0x20, 148, 156);
  put(TYPE_FLAGS[type], 156, 1);
  if (e.linkpath !== undefined) put(e.linkpath, 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  put('root', 265, 32);
  put('root', 297, 32);
  let sum = 0;
  for (const byte of h) sum += byte;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  return h;
}

/** A plain tar of the entries; `endMarker: false` leaves out the two zero blocks that end an archive. */
export function buildTar(entries: TestEntry[], opts: { endMarker?: boolean } = {}): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    blocks.push(tarHeader(e, body.length));
    if (body.length > 0) {
      blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
  }
  if (opts.endMarker !== false) blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

export function gzip(tar: Buffer): Buffer {
  return gzipSync(tar);
}

export function bzip2(tar: Buffer): Buffer {
  const r = spawnSync('bzip2', ['-c'], { input: tar, maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`bzip2 failed: ${r.stderr?.toString()}`);
  return r.stdout;
}
