// A PostgreSQL server started privately on a restored data directory: own port, own socket
// directory, loopback only, so it can never collide with (or be reached as) the production server.
// A started server proves nothing about recovery: we poll until replay is paused, the server was
// promoted, or the postmaster exited, and hand over what this start wrote to its log; whether that
// is the target is for src/core/recovery-stop.ts to prove.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { chown, lstat, mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { FailureTypes, RestoreError, type OverriddenSetting } from '../shared';
import { asUserCommand, childEnvironment, lastLines, resolveTool, runCommand } from './run-command';
import { readTextNoFollow } from './read-no-follow';
import { userIds } from './user-ids';

export interface PostgresInstance {
  pgBinDir: string;
  dataDir: string;
  user: string;
  port: number;
  socketDir: string;
  logFile: string;
  /** Size of the log file before this start: what this start wrote begins there (the file is appended to by every attempt). */
  logStart: number;
  /** Settings of the data directory's own configuration this server runs without (SAFETY_OVERRIDES). */
  overriddenSettings: OverriddenSetting[];
}

export interface RecoveryState {
  inRecovery: boolean;
  pauseState: string | null;
  lastReplayedCommit: string | null;
  /** pg_last_wal_replay_lsn(): the end of the last record replayed (it stays there after a promotion). */
  replayLsn: string | null;
  /** The last checkpoint's (or restartpoint's) timeline: not always the one replay is on. */
  timeline: number;
}

/**
 * How the server ended recovery: paused, or promoted (not in recovery: promoted at the target, or never in recovery),
 * as asked by SQL; or exited (a shutdown at the target, or death: the log tells).
 */
export type RecoveryEnd = { outcome: 'paused' | 'promoted'; state: RecoveryState } | { outcome: 'exited' };

export async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres(options: { pgBinDir: string; dataDir: string; user: string; logFile: string; signal?: AbortSignal }): Promise<PostgresInstance> {
  await stopLeftoverPostmaster(options);
  const port = await freeLoopbackPort();
  const socketDir = await mkdtemp(join(tmpdir(), 'pitr-pg-'));
  const { uid, gid } = await userIds(options.user);
  await chown(socketDir, uid, gid);
  const instance: PostgresInstance = { ...options, port, socketDir, logStart: 0, overriddenSettings: [] };
  try {
    const overrides = [...safetyOverrides(options.dataDir, await postgresMajor(options.pgBinDir)), ...RECOVERY_REPORTING];
    instance.overriddenSettings = (await settingsOverridden(instance, overrides)).filter((s) => !inEnglishAlready(s));
    instance.logStart = await lstat(options.logFile).then((s) => (s.isFile() ? s.size : 0), () => 0);
    await spawnPostmaster(instance, uid, gid, overrides);
  } catch (err) {
    await rm(socketDir, { recursive: true, force: true });
    throw new RestoreError(FailureTypes.RecoveryFailed, `PostgreSQL did not start on ${options.dataDir}: ${(err as Error).message} ${await fatalLines(options.logFile)}`);
  }
  return instance;
}

/**
 * What the server verify starts must never do, whatever the backup's configuration (the production
 * server's postgresql.conf and postgresql.auto.conf, includes and all) says: each is given on the
 * postmaster's command line, which outranks every configuration file. Left as configured: restore_command,
 * recovery_end_command and the recovery targets, which Barman writes last in postgresql.auto.conf (and
 * so are Barman's), and archive_command/archive_library, run only by the archiver that archive_mode off
 * never starts.
 */
function safetyOverrides(dataDir: string, major: number): { name: string; value: string }[] {
  const overrides = [
    // Run on the copy: never on the data directory the configuration names (the production server's).
    { name: 'data_directory', value: dataDir },
    // Load no code: libraries preloaded into the server or every connection, and where libraries are found.
    { name: 'shared_preload_libraries', value: '' },
    { name: 'session_preload_libraries', value: '' },
    { name: 'local_preload_libraries', value: '' },
    { name: 'dynamic_library_path', value: '$libdir' },
    // Run no command and reach no other host: archiving, the standby's archive cleanup, streaming from a primary.
    { name: 'archive_mode', value: 'off' },
    { name: 'archive_cleanup_command', value: '' },
    { name: 'primary_conninfo', value: '' },
    // Touch nothing outside the copy: TLS keys and ssl_passphrase_command, the log collector's directory
    // and syslog (the log goes to verify's log file), a pid file anywhere.
    { name: 'ssl', value: 'off' },
    { name: 'logging_collector', value: 'off' },
    { name: 'log_destination', value: 'stderr' },
    { name: 'external_pid_file', value: '' },
  ];
  if (major < 15) overrides.push({ name: 'stats_temp_directory', value: 'pg_stat_tmp' });
  return overrides;
}

/**
 * What verify needs to see where replay stopped, whatever the backup's configuration says: hot standby, to ask the
 * paused server by SQL (with it off, PostgreSQL turns a pause at the target into a shutdown, and a setting lower
 * than on the source into a FATAL instead of a pause: xlogrecovery.c RecoveryRequiresIntParameter); LOG lines
 * in the log ("recovery stopping ...", which a log_min_messages of fatal or panic would drop); and PostgreSQL's
 * own English texts, which src/core/recovery-stop.ts reads (lc_messages translates them).
 */
const RECOVERY_REPORTING = [
  { name: 'hot_standby', value: 'on' },
  { name: 'log_min_messages', value: 'warning' },
  { name: 'lc_messages', value: 'C' },
];

/** An lc_messages that already gives English texts (C, POSIX, en_*): not worth reporting as overridden. */
function inEnglishAlready(setting: OverriddenSetting): boolean {
  return setting.name === 'lc_messages' && /^(C|POSIX|en_[A-Za-z]+)?([.@].*)?$/.test(setting.configured ?? '');
}

/** Of `overrides`, those the data directory's configuration sets otherwise, with its value (`postgres -C`, which reads the files as the server would). */
async function settingsOverridden(instance: PostgresInstance, overrides: { name: string; value: string }[]): Promise<OverriddenSetting[]> {
  const postgres = join(instance.pgBinDir, 'postgres');
  const configured = await Promise.all(
    overrides.map(async ({ name }) => (await runCommand(postgres, ['-D', instance.dataDir, '-C', name], { asUser: instance.user })).stdout),
  );
  return overrides.flatMap(({ name, value }, i) => {
    if (configured[i] === value) return [];
    // A connection string or a command may hold a password: the result goes to the workflow's history.
    if (MAY_HOLD_SECRETS.has(name)) return [{ name, value }];
    const text = configured[i].length > 200 ? `${configured[i].slice(0, 200)}...` : configured[i];
    return [{ name, configured: text, value }];
  });
}

const MAY_HOLD_SECRETS = new Set(['primary_conninfo', 'archive_cleanup_command']);

const majors = new Map<string, number>();

/** The major version of the PostgreSQL in `pgBinDir` (`postgres --version`): which settings it knows. */
async function postgresMajor(pgBinDir: string): Promise<number> {
  let major = majors.get(pgBinDir);
  if (major === undefined) {
    const { stdout } = await runCommand(join(pgBinDir, 'postgres'), ['--version']);
    major = Number(/\(PostgreSQL\) (\d+)/.exec(stdout)?.[1]);
    if (!Number.isInteger(major)) throw new Error(`cannot tell the version of ${join(pgBinDir, 'postgres')} from "${stdout}"`);
    majors.set(pgBinDir, major);
  }
  return major;
}

/** Where startPostgres puts a server's socket: how a postmaster of ours is told from any other. */
const SOCKET_DIR_NAME = /^pitr-pg-[A-Za-z0-9]{6}$/;

/** A live postmaster that startPostgres started on a data directory, from its postmaster.pid. */
interface RunningPostmaster {
  pid: number;
  port: number;
  socketDir: string;
}

/**
 * The postmaster of ours running on `dataDir`, if any; any other live server there is refused. Ours is known by
 * its command line (`postgres -D <dataDir>`, run by `user`) and its private socket directory; a stale
 * postmaster.pid (no such process, or its pid reused by another program) is no postmaster: PostgreSQL clears it itself.
 */
async function runningPostmaster(options: { dataDir: string; user: string }): Promise<RunningPostmaster | undefined> {
  const lock = await readFile(join(options.dataDir, 'postmaster.pid'), 'utf8').catch(() => '');
  const [pidLine = '', , , portLine = '', socketDir = ''] = lock.split('\n');
  const pid = Number(pidLine.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const argv = await readFile(`/proc/${pid}/cmdline`, 'utf8').then((text) => text.split('\0'), () => undefined);
  const dataDirAt = argv ? argv.indexOf('-D') + 1 : 0;
  if (!argv || dataDirAt === 0 || argv[dataDirAt] !== options.dataDir || !/(^|\/)postgres$/.test(argv[0])) return undefined;
  const port = Number(portLine.trim());
  const ours = dirname(socketDir) === tmpdir() && SOCKET_DIR_NAME.test(basename(socketDir)) && (await processOwner(pid)) === (await userIds(options.user)).uid;
  if (!ours) {
    throw new RestoreError(
      FailureTypes.RecoveryFailed,
      `a PostgreSQL server not started by this restore (pid ${pid}, port ${port}) is running on ${options.dataDir}; stop it (pg_ctl -D ${options.dataDir} stop) and resume the restore`,
    );
  }
  return { pid, port, socketDir };
}

/**
 * The server a held restore left running on `dataDir` (it is detached: it outlives the worker that started it),
 * found again after a worker restart; undefined when none runs (the host restarted: start it again from the
 * directory). Another server on the directory is refused, as by stopLeftoverPostmaster.
 */
export async function findOwnPostmaster(options: { pgBinDir: string; dataDir: string; user: string; logFile: string }): Promise<PostgresInstance | undefined> {
  const running = await runningPostmaster(options);
  if (!running) return undefined;
  const logStart = await lstat(options.logFile).then((s) => (s.isFile() ? s.size : 0), () => 0);
  return { ...options, port: running.port, socketDir: running.socketDir, logStart, overriddenSettings: [] };
}

/**
 * Stops a postmaster an earlier attempt started on `dataDir` and never stopped: a worker killed with SIGKILL
 * during verify leaves it running (it is detached), and a second postmaster cannot take the data directory
 * beside it; so does an advance of a held restore, which restarts its server with the new target. Any other
 * live server there is refused rather than stopped. Returns the pid stopped.
 */
export async function stopLeftoverPostmaster(options: { pgBinDir: string; dataDir: string; user: string }): Promise<number | undefined> {
  const running = await runningPostmaster(options);
  if (!running) return undefined;
  const { pid } = running;
  const pgCtl = join(options.pgBinDir, 'pg_ctl');
  for (const mode of ['fast', 'immediate']) {
    await runCommand(pgCtl, ['-D', options.dataDir, '-m', mode, '-w', '-t', '60', 'stop'], { asUser: options.user, allowFailure: true });
    if (!(await processExists(pid))) break;
  }
  if (await processExists(pid)) {
    throw new RestoreError(FailureTypes.RecoveryFailed, `PostgreSQL (pid ${pid}) left running on ${options.dataDir} by an earlier attempt did not stop; stop it and resume the restore`);
  }
  await rm(running.socketDir, { recursive: true, force: true });
  return pid;
}

/** Ends recovery of a server paused at its target (`pg_ctl promote`, which waits until it accepts writes): it starts a new timeline. */
export async function promotePostgres(instance: PostgresInstance, signal?: AbortSignal): Promise<void> {
  await runCommand(join(instance.pgBinDir, 'pg_ctl'), ['-D', instance.dataDir, '-w', '-t', '600', 'promote'], { asUser: instance.user, signal });
}

async function processOwner(pid: number): Promise<number | undefined> {
  return stat(`/proc/${pid}`).then((s) => s.uid, () => undefined);
}

/** Whether `pid` is still a process (a zombie counts as gone: it holds nothing). */
async function processExists(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return status !== '' && !/^\d+ \(.*\) [ZX] /s.test(status);
}

/**
 * The postmaster itself, started detached as the user with an argument array. Not `pg_ctl start`: it
 * runs postgres through `sh -c` with the data directory, the log file and -o inside a command string,
 * so a destination named `$(...)` would run a command as that user. The log is opened here without
 * following a symlink (it sits in a tree the user owns) and handed to the postmaster as its output.
 * Whether it started, and how recovery went, is judged by waitForRecoveryEnd, as with `pg_ctl -W`.
 */
async function spawnPostmaster(instance: PostgresInstance, uid: number, gid: number, overrides: { name: string; value: string }[]): Promise<void> {
  const log = await open(instance.logFile, constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND | constants.O_NOFOLLOW, 0o600);
  try {
    await log.chown(uid, gid);
    const args = ['-D', instance.dataDir, '-p', String(instance.port), '-k', instance.socketDir, '-c', 'listen_addresses=127.0.0.1'];
    for (const { name, value } of overrides) args.push('-c', `${name}=${value}`);
    const postgres = resolveTool(join(instance.pgBinDir, 'postgres'));
    const [file, argv] = asUserCommand(instance.user, postgres, args);
    const child = spawn(file, argv, { detached: true, stdio: ['ignore', log.fd, log.fd], env: childEnvironment(), cwd: '/' });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', resolve);
    });
    child.unref();
  } finally {
    await log.close();
  }
}

export async function queryPostgres(instance: PostgresInstance, sql: string, signal?: AbortSignal): Promise<string> {
  const result = await runCommand(
    join(instance.pgBinDir, 'psql'),
    ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-h', instance.socketDir, '-p', String(instance.port), '-d', 'postgres', '-c', sql],
    { asUser: instance.user, signal, env: { PGCONNECT_TIMEOUT: '5', PGTZ: 'UTC' } },
  );
  return result.stdout.trim();
}

const RECOVERY_STATE_SQL = `select pg_is_in_recovery(),
  case when pg_is_in_recovery() then pg_get_wal_replay_pause_state() end,
  to_char(pg_last_xact_replay_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
  (select timeline_id from pg_control_checkpoint()),
  pg_last_wal_replay_lsn()`;

export async function readRecoveryState(instance: PostgresInstance, signal?: AbortSignal): Promise<RecoveryState> {
  const [inRecovery, pauseState, lastCommit, timeline, replayLsn] = (await queryPostgres(instance, RECOVERY_STATE_SQL, signal)).split('|');
  return {
    inRecovery: inRecovery === 't',
    pauseState: pauseState || null,
    lastReplayedCommit: lastCommit || null,
    replayLsn: replayLsn || null,
    timeline: Number(timeline),
  };
}

export async function isPostmasterRunning(instance: PostgresInstance): Promise<boolean> {
  const result = await runCommand(join(instance.pgBinDir, 'pg_ctl'), ['-D', instance.dataDir, 'status'], { asUser: instance.user, allowFailure: true });
  return result.exitCode === 0;
}

/**
 * Polls until recovery reached its end: paused (at the target or not: the log tells, src/core/recovery-stop.ts),
 * promoted, or the postmaster exited (shut down at the target, or died).
 */
export async function waitForRecoveryEnd(
  instance: PostgresInstance,
  options: { pollMs: number; timeoutMs: number; signal?: AbortSignal; onPoll?(state: RecoveryState | null): void },
): Promise<RecoveryEnd> {
  const deadline = Date.now() + options.timeoutMs;
  // `pg_ctl -W start` returns before the postmaster has written postmaster.pid (or even opened its log):
  // "not running" right after the start means "not yet". Dead is not running at several polls in a row.
  let notRunning = 0;
  while (Date.now() < deadline) {
    options.signal?.throwIfAborted();
    let state: RecoveryState | null = null;
    try {
      state = await readRecoveryState(instance, options.signal);
    } catch {
      // not accepting connections yet (or any more): the postmaster check below tells which
    }
    options.onPoll?.(state);
    if (state && !state.inRecovery) return { outcome: 'promoted', state };
    if (state?.pauseState === 'paused') return { outcome: 'paused', state };
    notRunning = !state && !(await isPostmasterRunning(instance)) ? notRunning + 1 : 0;
    if (notRunning >= 3) return { outcome: 'exited' };
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
  throw new RestoreError(FailureTypes.RecoveryFailed, `PostgreSQL did not finish recovery within ${Math.round(options.timeoutMs / 1000)} s; log: ${instance.logFile}`);
}

export async function stopPostgres(instance: PostgresInstance): Promise<void> {
  if (await isPostmasterRunning(instance)) {
    await runCommand(join(instance.pgBinDir, 'pg_ctl'), ['-D', instance.dataDir, '-m', 'fast', '-w', 'stop'], { asUser: instance.user });
  }
  await rm(instance.socketDir, { recursive: true, force: true });
}

/** Log text a check reads at most, from each end: the stop line and the WAL files restored last are near the end. */
const MAX_LOG_READ = 8 * 1024 * 1024;

/**
 * The log this start of `instance` wrote (from logStart on), and what earlier starts wrote before it, each at
 * most MAX_LOG_READ (their ends). Read without following a link: the file sits in a tree the user owns.
 */
export async function readRecoveryLogs(instance: PostgresInstance): Promise<{ thisRun: string; earlier: string }> {
  let handle;
  try {
    handle = await open(instance.logFile, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return { thisRun: '', earlier: '' };
  }
  try {
    const { size } = await handle.stat();
    const start = Math.min(instance.logStart, size);
    const read = async (from: number, to: number) => {
      const begin = Math.max(from, to - MAX_LOG_READ);
      const buffer = Buffer.alloc(to - begin);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, begin);
      const text = buffer.subarray(0, bytesRead).toString('utf8');
      // A cut start is a partial line: drop it.
      return begin > from ? text.slice(text.indexOf('\n') + 1) : text;
    };
    return { thisRun: await read(start, size), earlier: await read(0, start) };
  } finally {
    await handle.close();
  }
}

async function fatalLines(logFile: string): Promise<string> {
  const log = await readTextNoFollow(logFile);
  const fatal = log.split('\n').filter((line) => /FATAL|PANIC|last completed transaction/.test(line));
  return fatal.length > 0 ? fatal.slice(-4).join(' | ') : lastLines(log, 4) || `no log at ${logFile}`;
}
