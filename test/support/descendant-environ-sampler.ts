// What the children of a process could read of each other's environment: samples, every couple of
// milliseconds, /proc/PID/environ of every descendant of a root process, and remembers each distinct
// environment with the command that had it. Descendants are found through /proc/PID/task/TID/children (the
// kernel's list of each thread's children: cheap enough to walk at that rate, so even a pg_waldump that lives a
// few milliseconds is seen). A descendant stays followed once seen, even when its parent exits and it is handed
// to init (a daemonised postmaster). The sampling runs in a thread of its own, so the test's own event loop
// (a Temporal client, describes) never delays it. Run as root, it reads the processes of every user (runuser drops barman
// and PostgreSQL to the Barman user).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

export interface SampledProcess {
  pid: number;
  /** What it was seen running as (see commandNames), e.g. ['runuser'] or ['python3', 'barman']. */
  commands: string[];
  /** Each distinct /proc/PID/environ seen, NUL-separated as the kernel gives it. */
  environs: string[];
}

export interface DescendantSamples {
  /** Sampling rounds taken. */
  rounds: number;
  /** Every command name seen among the descendants. */
  commands: Set<string>;
  processes: SampledProcess[];
  /**
   * Reads skipped because the process was a fork of the root not yet exec'd (its /proc/PID/exe still the
   * root's): until exec it shares the root's memory, environment included, which is no child's environment.
   */
  skippedBeforeExec: number;
}

export interface DescendantSampler {
  stop(): Promise<DescendantSamples>;
}

/** The names a command line shows: argv0's base name (PostgreSQL's retitled `postgres: ...` cut at the colon), and the script an interpreter runs. */
export function commandNames(argv: string[]): string[] {
  if (argv.length === 0 || argv[0] === '') return [];
  const first = basename(argv[0].split(':')[0].trim().split(' ')[0]);
  const names = [first];
  if (/^(python[\d.]*|sh|bash|dash|perl)$/.test(first) && argv[1] && !argv[1].startsWith('-')) names.push(basename(argv[1]));
  return names;
}

/** The process's start time (field 22 of /proc/PID/stat): a pid reused by another process has another one. */
function startTime(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so fields are counted from the last ')'.
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The children of every thread of `pid`. */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return children;
  }
  for (const tid of tasks) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) if (child !== '') children.push(Number(child));
    } catch {
      // the thread or the process ended meanwhile
    }
  }
  return children;
}

interface SamplerData {
  descendantSampler: true;
  rootPid: number;
  intervalMs: number;
  /** [0]: set to 1 to stop. */
  control: Int32Array;
}

type PostedSamples = Omit<DescendantSamples, 'commands'> & { commands: string[] };

/**
 * Starts sampling the descendants of `rootPid` every `intervalMs` (in a worker thread); resolves once the
 * first round is done, so that nothing started afterwards is missed for the thread's start-up.
 */
export async function startDescendantSampler(rootPid: number, intervalMs = 1): Promise<DescendantSampler> {
  const control = new Int32Array(new SharedArrayBuffer(4));
  const data: SamplerData = { descendantSampler: true, rootPid, intervalMs, control };
  const thread = new Worker(__filename, { workerData: data });
  const messages: unknown[] = [];
  const waiters: ((m: unknown) => void)[] = [];
  let failure: Error | undefined;
  thread.on('message', (m) => (waiters.shift() ?? ((x) => messages.push(x)))(m));
  thread.once('error', (err) => {
    failure = err;
    for (const w of waiters.splice(0)) w(undefined);
  });
  const next = () => new Promise<unknown>((resolve) => (messages.length > 0 ? resolve(messages.shift()) : waiters.push(resolve)));
  await next(); // the first round is done
  if (failure) throw failure;
  return {
    async stop() {
      Atomics.store(control, 0, 1);
      Atomics.notify(control, 0);
      const posted = (await next()) as PostedSamples | undefined;
      await thread.terminate();
      if (failure || !posted) throw failure ?? new Error('the descendant sampler thread ended without its samples');
      return { ...posted, commands: new Set(posted.commands) };
    },
  };
}

/** The sampler thread: rounds until told to stop, then posts what it saw. */
function runSampler({ rootPid, intervalMs, control }: SamplerData): void {
  const rootExe = readlinkSync(`/proc/${rootPid}/exe`);
  /** Followed descendants: pid -> start time. */
  const followed = new Map<number, string>();
  const byProcess = new Map<string, { pid: number; commands: Set<string>; environs: Set<string> }>();
  const samples: DescendantSamples = { rounds: 0, commands: new Set(), processes: [], skippedBeforeExec: 0 };

  const round = () => {
    samples.rounds++;
    for (const [pid, start] of followed) if (startTime(pid) !== start) followed.delete(pid);
    const queue = [rootPid, ...followed.keys()];
    const visited = new Set(queue);
    for (let i = 0; i < queue.length; i++) {
      for (const child of childrenOf(queue[i])) {
        if (visited.has(child)) continue;
        visited.add(child);
        queue.push(child);
        if (!followed.has(child)) {
          const start = startTime(child);
          if (start !== undefined) followed.set(child, start);
        }
      }
    }
    for (const [pid, start] of followed) {
      let exe: string;
      let environ: string;
      let argv: string[];
      try {
        exe = readlinkSync(`/proc/${pid}/exe`);
        if (exe === rootExe) {
          samples.skippedBeforeExec++;
          continue;
        }
        environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
        argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg, i, all) => arg !== '' || i < all.length - 1);
      } catch {
        continue; // gone meanwhile (or a zombie)
      }
      const key = `${pid}:${start}`;
      let seen = byProcess.get(key);
      if (!seen) byProcess.set(key, (seen = { pid, commands: new Set(), environs: new Set() }));
      for (const name of commandNames(argv)) {
        seen.commands.add(name);
        samples.commands.add(name);
      }
      seen.environs.add(environ);
    }
  };

  round();
  parentPort!.postMessage('ready');
  while (Atomics.load(control, 0) === 0) {
    Atomics.wait(control, 0, 0, intervalMs);
    round();
  }
  samples.processes = [...byProcess.values()].map((p) => ({ pid: p.pid, commands: [...p.commands], environs: [...p.environs] }));
  parentPort!.postMessage({ ...samples, commands: [...samples.commands] } satisfies PostedSamples);
}

if (!isMainThread && (workerData as Partial<SamplerData> | null)?.descendantSampler) runSampler(workerData as SamplerData);
