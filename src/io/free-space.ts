// Free space where a path is, or would be created: statfs of its nearest existing ancestor.
import { stat, statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Volume } from '../core/restore-space';

export async function volumeOf(path: string): Promise<Volume> {
  let at = resolve(path);
  for (;;) {
    try {
      const [st, fs] = await Promise.all([stat(at), statfs(at)]);
      // bavail: what an unprivileged user may still write (the restore runs partly as the Barman user).
      return { path, measuredAt: at, device: st.dev, freeBytes: fs.bavail * fs.bsize };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const parent = dirname(at);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === at) throw err;
      at = parent;
    }
  }
}
