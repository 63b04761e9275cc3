import { access } from 'node:fs/promises';

export async function pathExists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** What `pending` resolves to, or null when it fails because the path is absent (ENOENT); any other failure is thrown. */
export async function nullIfAbsent<T>(pending: Promise<T>): Promise<T | null> {
  return pending.catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
}
