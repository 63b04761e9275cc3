// An on-disk, append-only record of completed downloads: what a retried or resumed download may skip.
import { appendFile, lstat, mkdir, readFile, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RecordedDownload, WantedObject } from '../core/local-copies';
import { nullIfAbsent } from './path-exists';

export interface DownloadJournal {
  readonly file: string;
  /**
   * True only if the journal records this key, ETag and size at this path, and the very file it recorded is
   * still there: a regular file (not a link), with one name, that size and the same inode.
   */
  isComplete(item: WantedObject): Promise<boolean>;
  /** Records the item durably (written and fsync'd) before resolving. */
  markComplete(item: WantedObject): Promise<void>;
  /** What the journal records at `localPath` (the last record), whether or not that file is still there. */
  recordAt(localPath: string): RecordedDownload | undefined;
  close(): Promise<void>;
}

/**
 * Opens (creating if needed) a JSON-lines journal. A crash can leave a torn last line: it is ignored and
 * cut off before anything new is appended, so that it cannot swallow the next record.
 */
export async function openJournal(file: string): Promise<DownloadJournal> {
  await mkdir(dirname(file), { recursive: true });
  const data = (await nullIfAbsent(readFile(file))) ?? Buffer.alloc(0);
  // Everything after the last newline is a torn record (a partial line is possibly not even valid UTF-8).
  const complete = data.lastIndexOf(0x0a) + 1;
  if (complete < data.length) await truncate(file, complete);
  return new FileJournal(file, parseJournal(data.subarray(0, complete).toString('utf8')));
}

/**
 * The records of a journal's text, by path (the last record of a path wins); a torn or unreadable line is left
 * out. openJournal reads its own journal so; also for another restore's (src/io/local-copies.ts, pitr status).
 */
export function parseJournal(text: string): Map<string, RecordedDownload> {
  const entries = new Map<string, RecordedDownload>();
  // What follows the last newline is a torn record.
  for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
    const entry = parseEntry(line);
    if (entry) entries.set(entry.path, entry);
  }
  return entries;
}

function parseEntry(line: string): RecordedDownload | undefined {
  if (!line.trim()) return undefined;
  try {
    const v = JSON.parse(line) as Partial<RecordedDownload>;
    if (typeof v.key === 'string' && typeof v.etag === 'string' && typeof v.size === 'number' && typeof v.path === 'string' && typeof v.inode === 'string') {
      return { key: v.key, etag: v.etag, size: v.size, path: v.path, inode: v.inode };
    }
  } catch {
    // An unreadable line only means that object is fetched again.
  }
  return undefined;
}

interface Pending {
  line: string;
  resolve(): void;
  reject(err: unknown): void;
}

class FileJournal implements DownloadJournal {
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    readonly file: string,
    private readonly entries: Map<string, RecordedDownload>,
  ) {}

  async isComplete(item: WantedObject): Promise<boolean> {
    const e = this.entries.get(item.localPath);
    if (!e || e.key !== item.key || e.etag !== item.etag || e.size !== item.size) return false;
    try {
      const st = await lstat(item.localPath, { bigint: true });
      return st.isFile() && st.nlink === 1n && st.size === BigInt(item.size) && String(st.ino) === e.inode;
    } catch {
      return false;
    }
  }

  recordAt(localPath: string): RecordedDownload | undefined {
    return this.entries.get(localPath);
  }

  async markComplete(item: WantedObject): Promise<void> {
    const inode = String((await lstat(item.localPath, { bigint: true })).ino);
    const entry: RecordedDownload = { key: item.key, etag: item.etag, size: item.size, path: item.localPath, inode };
    return new Promise<void>((resolve, reject) => {
      this.pending.push({
        line: JSON.stringify(entry) + '\n',
        resolve: () => {
          this.entries.set(entry.path, entry);
          resolve();
        },
        reject,
      });
      this.flushing ??= this.flush();
    });
  }

  // Group commit: records that arrive while an fsync is running share the next one. Thousands of small
  // WAL segments would otherwise pay one fsync each, one after the other. The file is opened per batch,
  // so a journal that is never closed leaks no descriptor.
  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      try {
        await appendFile(this.file, batch.map((p) => p.line).join(''), { flush: true });
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.flushing = undefined;
  }

  /** Waits for pending records; the journal holds no open file between writes. */
  async close(): Promise<void> {
    await this.flushing;
  }
}
