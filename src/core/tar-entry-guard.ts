// Which tar entries may be written into a staging directory. barman-cloud writes a data directory: files,
// folders, and the symlinks of pg_tblspc, none of which lead outside it. Anything else (an absolute path, a
// '..', a device, a symlink or hard link leading out, or a path through such a symlink) is refused before it
// is written. Pure: the archive's own symlinks are tracked here, because node-tar checks entries when their
// header is read, before earlier entries are on disk. Paths are POSIX paths, as in a tar archive.
import { posix } from 'node:path';

/** What the guard reads of a tar entry (node-tar's ReadEntry has these). */
export interface TarEntryHeader {
  type: string;
  path: string;
  linkpath?: string;
}

const SPECIAL_TYPES = new Set(['CharacterDevice', 'BlockDevice', 'FIFO']);
/** As Linux's MAXSYMLINKS: more hops than this is a loop. */
const MAX_LINK_HOPS = 40;

/**
 * Checks entries in archive order. One guard serves every archive extracted into its directory (the parts
 * of a multi-part tarball), so a later part cannot escape through an earlier part's symlink.
 */
export class EntryGuard {
  private readonly links = new Map<string, string>();
  /** The staging directory, absolute and normalised. */
  readonly root: string;

  constructor(root: string) {
    if (!root.startsWith('/')) throw new Error(`EntryGuard needs an absolute directory, not ${JSON.stringify(root)}`);
    this.root = `/${names(root).join('/')}`;
  }

  /** The rule the entry breaks, or undefined when it is safe. */
  check(entry: TarEntryHeader): string | undefined {
    if (SPECIAL_TYPES.has(entry.type)) return `${entry.type} entries are not allowed`;
    const raw = entry.path;
    if (raw.startsWith('/')) return 'absolute path';
    const parts = raw.split(/[\\/]/);
    if (parts.includes('..')) return "path has a '..' component";
    const entryNames = parts.filter((p) => p !== '' && p !== '.');
    if (entryNames.length === 0 && entry.type !== 'Directory') return `a ${entry.type} cannot replace the destination directory`;
    const through = this.firstLinkIn(entryNames.slice(0, -1));
    if (through) return `path passes through the symlink ${through}`;
    const key = entryNames.join('/');

    if (entry.type === 'SymbolicLink') {
      const target = entry.linkpath ?? '';
      const resolved = this.resolveTarget(entryNames.slice(0, -1), target);
      if (!resolved) return `symlink target ${JSON.stringify(target)} resolves outside the destination`;
      this.links.set(key, target);
      return undefined;
    }
    if (entry.type === 'Link') {
      const target = entry.linkpath ?? '';
      const tparts = target.split(/[\\/]/);
      if (target.startsWith('/') || tparts.includes('..')) {
        return `hard link target ${JSON.stringify(target)} is outside the destination`;
      }
      const via = this.firstLinkIn(tparts.filter((p) => p !== '' && p !== '.'));
      if (via) return `hard link target ${JSON.stringify(target)} passes through the symlink ${via}`;
    }
    // A file, directory or hard link at this path replaces whatever symlink was there.
    this.links.delete(key);
    return undefined;
  }

  private firstLinkIn(path: string[]): string | undefined {
    for (let i = 1; i <= path.length; i++) {
      const prefix = path.slice(0, i).join('/');
      if (this.links.has(prefix)) return prefix;
    }
    return undefined;
  }

  /** Resolves a symlink target like the kernel would, through the archive's symlinks; undefined if it escapes. */
  private resolveTarget(dir: string[], target: string, hops = { n: 0 }): string[] | undefined {
    if (target.startsWith('/')) {
      // An absolute target is inside only when it names the staging directory or something below it.
      // posix.normalize applies '..' (at '/' it stays at '/', as the kernel does).
      const absolute = names(posix.normalize(target));
      const root = names(this.root);
      if (absolute.length < root.length || root.some((name, i) => absolute[i] !== name)) return undefined;
      return this.walk([], absolute.slice(root.length), hops);
    }
    return this.walk(dir, target.split(/[\\/]/), hops);
  }

  private walk(start: string[], rest: string[], hops: { n: number }): string[] | undefined {
    let cur = start;
    for (const c of rest) {
      if (c === '' || c === '.') continue;
      if (c === '..') {
        if (cur.length === 0) return undefined;
        cur = cur.slice(0, -1);
        continue;
      }
      const next = [...cur, c];
      const link = this.links.get(next.join('/'));
      if (link === undefined) {
        cur = next;
        continue;
      }
      if (++hops.n > MAX_LINK_HOPS) return undefined;
      const resolved = link.startsWith('/') ? this.resolveTarget([], link, hops) : this.walk(cur, link.split(/[\\/]/), hops);
      if (!resolved) return undefined;
      cur = resolved;
    }
    return cur;
  }
}

function names(path: string): string[] {
  return path.split('/').filter((p) => p !== '' && p !== '.');
}
