// The real worker (`node lib/src/worker.js`) as a child process, so that a test can kill it the hard
// way (SIGKILL: no shutdown, no cleanup, like a crashed host) and start it again. Its output (every
// run, one after another) goes to one log file.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, readlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './stack-env';

/** What the worker (or the SDK under it) logs once it polls its task queue. */
const READY = /Worker state changed.*RUNNING|pitr worker (polling|started)/;

export interface WorkerExit {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

export interface WorkerProcessOptions {
  /** The worker's whole environment (its task queue, S3 endpoint, Temporal address, ...). */
  env: Record<string, string | undefined>;
  logFile: string;
  /** How long start() waits for the worker to poll its task queue. */
  readyTimeoutMs?: number;
}

export class WorkerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<WorkerExit> | undefined;
  readonly exits: WorkerExit[] = [];
  starts = 0;

  constructor(private readonly options: WorkerProcessOptions) {}

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the worker and waits until it polls its task queue (says so in its log). */
  async start(): Promise<void> {
    if (this.running) throw new Error(`the worker is already running (pid ${this.child?.pid})`);
    this.starts++;
    const fd = openSync(this.options.logFile, 'a');
    writeSync(fd, `\n===== worker start #${this.starts} at ${new Date().toISOString()} =====\n`);
    const offset = this.logText().length;
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [join(REPO_ROOT, 'lib', 'src', 'worker.js')], {
        cwd: REPO_ROOT,
        env: this.options.env as NodeJS.ProcessEnv,
        stdio: ['ignore', fd, fd],
      });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        const exit = { pid: child.pid ?? -1, code, signal, at: Date.now() };
        this.exits.push(exit);
        resolve(exit);
      });
    });
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 30_000);
    while (Date.now() < deadline) {
      if (READY.test(this.logText().slice(offset))) return;
      if (!this.running) throw new Error(`the worker exited before polling (${JSON.stringify(this.exits.at(-1))}); log ${this.options.logFile}:\n${this.tail()}`);
      await sleep(100);
    }
    throw new Error(`the worker did not start polling within ${this.options.readyTimeoutMs ?? 30_000} ms; log ${this.options.logFile}:\n${this.tail()}`);
  }

  /** Sends `signal` and waits for the process to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<WorkerExit | undefined> {
    if (!this.running || !this.child) return this.exits.at(-1);
    this.child.kill(signal);
    return this.exited;
  }

  /** Pauses the process where it is (SIGSTOP), e.g. to look at its files before killing it. */
  pause(): void {
    if (this.running) this.child?.kill('SIGSTOP');
  }

  /** Resolves when the current process exits (at once if none runs). */
  async waitForExit(): Promise<WorkerExit | undefined> {
    return this.running ? this.exited : this.exits.at(-1);
  }

  /** Graceful stop (SIGTERM), then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running || !this.child) return;
    this.child.kill('SIGCONT');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  logText(): string {
    try {
      return readFileSync(this.options.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  tail(lines = 30): string {
    return this.logText().trim().split('\n').slice(-lines).join('\n');
  }
}

/**
 * Processes left behind by a killed worker (pg_ctl/postgres, barman, pg_waldump: children outlive a
 * SIGKILLed parent) whose command line or working directory mentions one of `paths`.
 */
export function strayProcesses(paths: string[]): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let command = '';
    let cwd = '';
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      cwd = readlinkSync(`/proc/${pid}/cwd`);
    } catch {
      // gone meanwhile, or not ours to read
    }
    if (command && paths.some((p) => command.includes(p) || cwd.startsWith(p))) found.push({ pid, command });
  }
  return found;
}

/**
 * Kills (SIGKILL) the stray processes of `paths`; returns them. A process counts as stray only if it is still
 * there after `graceMs`: `pg_ctl stop -w` returns once postmaster.pid is gone, which the postmaster removes
 * just before it exits, so a server stopped a moment ago can still be listed.
 */
export async function killStrayProcesses(paths: string[], graceMs = 3_000): Promise<{ pid: number; command: string }[]> {
  const deadline = Date.now() + graceMs;
  let found = strayProcesses(paths);
  while (found.length > 0 && Date.now() < deadline) {
    await sleep(100);
    found = strayProcesses(paths);
  }
  for (const { pid } of found) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return found;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
