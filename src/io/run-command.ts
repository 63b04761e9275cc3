// Runs external tools (barman, pg_ctl, psql, pg_waldump) with argument arrays, never a shell string,
// as the user the tool insists on: PostgreSQL refuses to run as root.
import { execa } from 'execa';
import { accessSync, constants } from 'node:fs';
import { userInfo } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { signalGroup } from './processes';
import { FailureTypes, RestoreError } from '../shared';

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Run as this user (through runuser when we are root and the user is another one). */
  asUser?: string;
  env?: Record<string, string>;
  cwd?: string;
  signal?: AbortSignal;
  /** Accept non-zero exit codes and let the caller judge the output. */
  allowFailure?: boolean;
  /** Written to the child's standard input (closed after it). */
  input?: string;
}

export class CommandFailedError extends Error {
  constructor(
    readonly command: string,
    readonly result: CommandResult,
  ) {
    super(`${command} exited with code ${result.exitCode}: ${lastLines(result.stderr || result.stdout, 8)}`);
    this.name = 'CommandFailedError';
  }
}

export interface ToolMissingDetail {
  /** What provides the tool, e.g. "the Debian package xz-utils". */
  install?: string;
  /** Why it cannot be used, when it is not simply absent. */
  reason?: string;
}

export class ToolMissingError extends RestoreError {
  constructor(
    readonly tool: string,
    /** The PATH searched, for a bare tool name. */
    path?: string,
    detail: ToolMissingDetail = {},
  ) {
    const where =
      detail.reason ?? (path === undefined ? `${tool} does not exist or is not executable` : `no executable ${tool} in any directory of its PATH (${path})`);
    const install = detail.install === undefined ? '' : `${detail.install}; `;
    super(
      FailureTypes.ToolMissing,
      `${tool} was not found on this worker host: ${where}. Install it (${install}scripts/bootstrap.sh installs every tool the worker needs), ` +
        "or put its directory on the worker's PATH (or fix the configured path), then resume the restore",
    );
    this.name = 'ToolMissingError';
  }
}

/** Absolute path of an executable, looked up on PATH like a shell would; throws ToolMissingError. */
export function resolveTool(tool: string, path = process.env.PATH ?? '', detail?: ToolMissingDetail): string {
  const bare = !(isAbsolute(tool) || tool.includes('/'));
  const candidates = bare ? path.split(delimiter).filter(Boolean).map((dir) => join(dir, tool)) : [tool];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next directory
    }
  }
  throw new ToolMissingError(tool, bare ? path : undefined, detail);
}

/**
 * Variables a child process may inherit from the worker: what locates tools and sets the language and time
 * zone. Nothing else, so S3 keys, Temporal API keys or anything else the worker holds never reach barman,
 * rsync, PostgreSQL or a decompressor (whose environment its user can read in /proc/PID/environ).
 */
const INHERITED_VARIABLES = ['PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'LC_MESSAGES', 'TZ', 'TMPDIR'];

/** The environment of a child process: the allow-listed variables of this one, plus `extra`. */
export function childEnvironment(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_VARIABLES) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

/** The command that runs `executable` as `user`: through runuser when we are root and the user is another one. */
export function asUserCommand(user: string | undefined, executable: string, args: string[]): [string, string[]] {
  const asOtherUser = user !== undefined && user !== userInfo().username;
  return asOtherUser ? ['runuser', ['-u', user, '--', executable, ...args]] : [executable, args];
}

/** How long a cancelled command's process group has between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 5_000;

/**
 * Runs a tool in a process group of its own and, when `signal` aborts, ends the whole group: barman's
 * copy workers and their rsync children, which outlive a barman killed alone, and go on writing into a
 * destination the cancel is putting back (and hold its output open, so the command never returns).
 * SIGTERM first, so barman can clean up; SIGKILL to whatever is left after KILL_GRACE_MS, or once the
 * command has returned.
 */
export async function runCommand(tool: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
  const [file, argv] = asUserCommand(options.asUser, resolveTool(tool), args);
  options.signal?.throwIfAborted();
  const subprocess = execa(file, argv, {
    env: childEnvironment(options.env),
    extendEnv: false,
    cwd: options.cwd,
    detached: true,
    ...(options.input === undefined ? {} : { input: options.input }),
    reject: false,
    stripFinalNewline: true,
  });
  if (subprocess.pid !== undefined) runningGroups.add(subprocess.pid);
  let aborted = false;
  let forceKill: NodeJS.Timeout | undefined;
  const onAbort = () => {
    aborted = true;
    signalGroup(subprocess.pid, 'SIGTERM');
    forceKill = setTimeout(() => signalGroup(subprocess.pid, 'SIGKILL'), KILL_GRACE_MS);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let result;
  try {
    result = await subprocess;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    clearTimeout(forceKill);
    if (aborted) signalGroup(subprocess.pid, 'SIGKILL');
    if (subprocess.pid !== undefined) runningGroups.delete(subprocess.pid);
  }
  if (aborted) throw options.signal?.reason ?? new Error(`${tool} was cancelled`);
  const outcome = { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
  if (outcome.exitCode !== 0 && !options.allowFailure) throw new CommandFailedError(tool, outcome);
  return outcome;
}

/**
 * Process groups of the commands running now. A worker that exits (not killed) while one runs kills it:
 * execa's own clean-up on exit does not apply to a detached child.
 */
const runningGroups = new Set<number>();
process.on('exit', () => {
  for (const pid of runningGroups) signalGroup(pid, 'SIGKILL');
});

export function lastLines(text: string, count: number): string {
  return text.trim().split('\n').slice(-count).join('\n');
}
