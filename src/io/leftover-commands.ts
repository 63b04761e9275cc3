// Commands an earlier attempt of a step left running. runCommand starts each tool in a process group of
// its own and kills the group when the attempt is cancelled or its worker exits; a worker killed with
// SIGKILL can do neither, and its barman (and barman's rsync children) go on writing into the Barman home
// and the destination beside the retried attempt. They are found by the restore's own Barman
// configuration file, which only this restore's commands name on their command line.
import { readdir, readFile } from 'node:fs/promises';
import { groupAlive, signalGroup } from './processes';

const GRACE_MS = 5_000;

/** Stops (SIGTERM, then SIGKILL after 5 s) every process group holding a process whose arguments name `marker`; returns the groups. */
export async function stopLeftoverCommands(marker: string): Promise<number[]> {
  const groups = await groupsNaming(marker);
  for (const group of groups) signalGroup(group, 'SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  while (Date.now() < deadline && groups.some(groupAlive)) await new Promise((r) => setTimeout(r, 100));
  for (const group of groups) if (groupAlive(group)) signalGroup(group, 'SIGKILL');
  return groups;
}

async function groupsNaming(marker: string): Promise<number[]> {
  const own = await processGroupOf(process.pid);
  const groups = new Set<number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const args = await readFile(`/proc/${entry}/cmdline`, 'utf8').then((text) => text.split('\0'), () => [] as string[]);
    if (!args.some((arg) => arg === marker)) continue;
    const group = await processGroupOf(Number(entry));
    if (group !== null && group !== own && group > 1) groups.add(group);
  }
  return [...groups];
}

/** Field 5 of /proc/PID/stat (after the command name in parentheses, which may itself hold spaces). */
async function processGroupOf(pid: number): Promise<number | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const group = Number(fields[2]);
  return Number.isSafeInteger(group) ? group : null;
}
