// Numeric ids of a system user, for chown: files handed from the worker to barman and PostgreSQL
// must belong to the user those tools run as.
import { runCommand } from './run-command';

const cache = new Map<string, { uid: number; gid: number }>();

export async function userIds(user: string): Promise<{ uid: number; gid: number }> {
  const known = cache.get(user);
  if (known) return known;
  const [uid, gid] = await Promise.all([
    runCommand('id', ['-u', user]).then((r) => Number(r.stdout.trim())),
    runCommand('id', ['-g', user]).then((r) => Number(r.stdout.trim())),
  ]);
  const ids = { uid, gid };
  cache.set(user, ids);
  return ids;
}
