// Runs external tools (barman, pg_ctl, psql, pg_waldump) with argument arrays, never a shell string,
// as the user the tool insists on: PostgreSQL refuses to run as root.
import { execa } from 'execa';
import { accessSync, constants } from 'node:fs';
import { userInfo } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';

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

export class ToolMissingError extends Error {
  readonly type = 'ToolMissing';
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

export async function runCommand(tool: string, args: string[], options: RunOptions = {}): Promise<CommandResult> {
  const executable = resolveTool(tool);
  const asOtherUser = options.asUser !== undefined && options.asUser !== userInfo().username;
  const [file, argv] = asOtherUser
    ? ['runuser', ['-u', options.asUser as string, '--', executable, ...args]]
    : [executable, args];
  const result = await execa(file, argv, {
    env: options.env,
    cwd: options.cwd,
    cancelSignal: options.signal,
    reject: false,
    stripFinalNewline: true,
  });
  if (result.isCanceled) throw options.signal?.reason ?? new Error(`${tool} was cancelled`);
  const outcome = { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
  if (outcome.exitCode !== 0 && !options.allowFailure) throw new CommandFailedError(tool, outcome);
  return outcome;
}

export function lastLines(text: string, count: number): string {
  return text.trim().split('\n').slice(-count).join('\n');
}
