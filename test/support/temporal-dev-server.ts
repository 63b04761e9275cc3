// A private Temporal dev server for suites that must stop and restart the server, so that the shared
// stack's server (used by every other suite) is never disturbed. Its state is a db file in a temporary
// folder; stop() and start() again keep the port and the db file, like a server restart in production.
import { Connection } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from '../../src/io/postgres-instance';
import { SearchAttributes } from '../../src/shared';

const SEARCH_ATTRIBUTE_FLAGS = [
  '--search-attribute', 'RestoreServer=Keyword',
  '--search-attribute', 'RestoreDestination=Keyword',
  '--search-attribute', 'RestorePhase=Keyword',
  '--search-attribute', 'RestoreBackupId=Keyword',
  '--search-attribute', 'RestoreTargetTime=Datetime',
];

export interface TemporalDevServer {
  /** 127.0.0.1:<port>, the same across restarts. */
  address: string;
  dbFile: string;
  logFile: string;
  readonly running: boolean;
  /** Starts the server (again, on the same port and db file) and waits until it serves the namespace and its search attributes. */
  start(): Promise<void>;
  /** SIGTERM (graceful), SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** stop() and removal of the db file's folder. */
  destroy(): Promise<void>;
}

export async function createTemporalDevServer(options: { cliPath?: string; readyTimeoutMs?: number } = {}): Promise<TemporalDevServer> {
  const cli = options.cliPath ?? process.env.TEMPORAL_CLI_PATH;
  if (!cli || !existsSync(cli)) {
    throw new Error(`the Temporal CLI is not at TEMPORAL_CLI_PATH=${cli ?? '(unset)'}: run \`npm run stack:up\` (it writes .stack/env)`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'pitr-temporal-'));
  const port = await freeLoopbackPort();
  const address = `127.0.0.1:${port}`;
  const dbFile = join(dir, 't.db');
  const logFile = join(dir, 'temporal.log');
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const isRunning = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const tail = () => {
    try {
      return readFileSync(logFile, 'utf8').trim().split('\n').slice(-20).join('\n');
    } catch {
      return '(no log)';
    }
  };

  const server: TemporalDevServer = {
    address,
    dbFile,
    logFile,
    get running() {
      return isRunning();
    },
    async start() {
      if (isRunning()) throw new Error(`the dev server on ${address} is already running`);
      const fd = openSync(logFile, 'a');
      writeSync(fd, `\n===== start at ${new Date().toISOString()} =====\n`);
      try {
        const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless', '--db-filename', dbFile, '--namespace', 'default', '--log-level', 'error', ...SEARCH_ATTRIBUTE_FLAGS];
        child = spawn(cli, args, { stdio: ['ignore', fd, fd] });
      } finally {
        closeSync(fd);
      }
      const proc = child;
      exited = new Promise((resolve) => proc.once('exit', () => resolve()));
      const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
      let lastError: unknown;
      while (Date.now() < deadline) {
        if (!isRunning()) throw new Error(`the Temporal dev server exited during start-up; ${logFile}:\n${tail()}`);
        try {
          await checkReady(address);
          return;
        } catch (err) {
          lastError = err;
        }
        await sleep(250);
      }
      throw new Error(`the Temporal dev server on ${address} was not ready within ${options.readyTimeoutMs ?? 60_000} ms (${String(lastError)}); ${logFile}:\n${tail()}`);
    },
    async stop(graceMs = 15_000) {
      if (!isRunning() || !child) return;
      const proc = child;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async destroy() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Ready means: the frontend answers, the namespace exists, and the project's search attributes are registered. */
async function checkReady(address: string): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 2_000 });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    const missing = Object.values(SearchAttributes)
      .map((key) => key.name)
      .filter((name) => !(name in (customAttributes ?? {})));
    if (missing.length > 0) throw new Error(`search attributes not registered yet: ${missing.join(', ')}`);
  } finally {
    await connection.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
