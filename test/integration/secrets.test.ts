// Secrets stay in the worker's environment: they must never reach Temporal, whose history is kept,
// replicated and shown to anyone with access to the namespace, nor any program the worker starts, whose
// environment its user (the Barman user) can read in /proc/PID/environ. A real worker process is given the
// S3 keys, an AWS_SESSION_TOKEN and a TEMPORAL_API_KEY; a completed restore and a refused one are scanned
// whole: every history event (inputs, results, heartbeat details, failures, search attributes, memo, user
// metadata), every describe taken while they ran (pending activities' heartbeats and last failures), with
// payloads both as stored and decoded, the error, the worker's log, and the environment of every process the
// worker started (sampled while they ran). A restore failing on a wrong S3 secret (an in-process worker given
// that secret) is scanned for both S3 keys in its history, failure and log.
import type { WorkflowHandle } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromEpochMicros } from '../../src/core/timestamp';
import { FailureTypes, type RestoreResult } from '../../src/shared';
import { runFailingRestore, workAreaOf } from '../support/bad-input-failure';
import { startDescendantSampler, type DescendantSamples } from '../support/descendant-environ-sampler';
import { between, marker } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';
import { startSessionTokenProxy, type SessionTokenProxy } from '../support/s3-session-token-proxy';
import { killStrayProcesses, WorkerProcess } from '../support/worker-process';

/** A named string that must not appear; the report names it, never shows it. */
interface Needle {
  name: string;
  value: string;
}

interface Finding {
  needle: string;
  /** Where in the scanned object, e.g. `history.events[5].activityTaskScheduledEventAttributes.input.payloads[0].data<decoded>`. */
  path: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Every text a reader of `value` could meet, with its path: strings and numbers as they are, binary data (payload
 * `data`, metadata) as base64 and as UTF-8, JSON in it parsed and walked again, and base64 strings (histories
 * exported as JSON) decoded too.
 */
function* texts(value: unknown, path: string, seen = new Set<unknown>()): Generator<{ path: string; text: string }> {
  if (value === null || value === undefined) return;
  if (typeof value === 'string') {
    yield { path, text: value };
    if (value.length >= 8 && BASE64.test(value)) yield* decoded(Buffer.from(value, 'base64'), `${path}<base64>`, seen);
    return;
  }
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    yield { path, text: String(value) };
    return;
  }
  if (typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Uint8Array) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    yield { path: `${path}<raw base64>`, text: bytes.toString('base64') };
    yield* decoded(bytes, path, seen);
    return;
  }
  if (value instanceof Date) {
    yield { path, text: value.toISOString() };
    return;
  }
  if (value instanceof Error) {
    yield { path: `${path}.message`, text: value.message };
    yield { path: `${path}.stack`, text: value.stack ?? '' };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* texts(value[i], `${path}[${i}]`, seen);
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    yield { path: `${path}<key>`, text: key };
    yield* texts(child, `${path}.${key}`, seen);
  }
}

function* decoded(bytes: Buffer, path: string, seen: Set<unknown>): Generator<{ path: string; text: string }> {
  const text = bytes.toString('utf8');
  yield { path: `${path}<utf8>`, text };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return;
  }
  yield* texts(parsed, `${path}<json>`, seen);
}

/** Where any needle appears in `value`, in any of the forms `texts` produces (also URL- and JSON-escaped). */
function findSecrets(value: unknown, needles: Needle[]): Finding[] {
  const forms = needles.flatMap((n) => [...new Set([n.value, encodeURIComponent(n.value), JSON.stringify(n.value).slice(1, -1)])].map((form) => ({ name: n.name, form })));
  const findings: Finding[] = [];
  for (const { path, text } of texts(value, 'scanned')) {
    for (const { name, form } of forms) if (text.includes(form)) findings.push({ needle: name, path });
  }
  return findings;
}

function report(findings: Finding[]): string {
  return findings
    .slice(0, 20)
    .map((f) => `${f.needle} at ${f.path}`)
    .join('\n');
}

/** Runs `body` while recording the restore's describe() every 100 ms: what `pitr status` and the UI see. */
async function withDescribes<T>(handle: WorkflowHandle, body: () => Promise<T>): Promise<{ value: T; describes: unknown[] }> {
  const describes: unknown[] = [];
  let done = false;
  const poll = (async () => {
    while (!done) {
      try {
        describes.push((await handle.describe()).raw);
      } catch {
        // the workflow may not be visible for a moment; the next poll takes it
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    return { value: await body(), describes };
  } finally {
    done = true;
    await poll;
    describes.push((await handle.describe()).raw);
  }
}

/** Records what the process writes to stdout and stderr (the in-process worker logs there) while `body` runs. */
async function capturingOutput<T>(body: () => Promise<T>): Promise<{ value: T; output: string }> {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((s) => s.write.bind(s));
  streams.forEach((stream, i) => {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return (originals[i] as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
  });
  try {
    return { value: await body(), output: chunks.join('') };
  } finally {
    streams.forEach((stream, i) => (stream.write = originals[i] as typeof stream.write));
  }
}

/** Runs `body` while sampling the environment of every process the worker starts. */
async function withChildEnvironments<T>(workerPid: number, body: () => Promise<T>): Promise<{ value: T; children: DescendantSamples }> {
  const sampler = await startDescendantSampler(workerPid);
  let value: T;
  try {
    value = await body();
  } catch (err) {
    await sampler.stop();
    throw err;
  }
  return { value, children: await sampler.stop() };
}

/** The sampled environments as an object to scan: `<command>(<pid>)` -> environments seen. */
function environments(children: DescendantSamples): Record<string, string[]> {
  return Object.fromEntries(children.processes.map((p) => [`${p.commands.join('/') || '?'}(${p.pid})`, p.environs]));
}

describe('secrets never reach workflow history, logs or child processes (real worker, Temporal, S3, Barman, PostgreSQL)', function () {
  this.timeout(240_000);
  let harness: RestoreHarness;
  let proxy: SessionTokenProxy;
  let worker: WorkerProcess;
  let logDir: string;
  /** Everything secret in the worker's environment. */
  let needles: Needle[];
  /** The S3 keys of the stack (the access-denied test's in-process worker has these, not the others). */
  let keys: Needle[];
  const destinations: string[] = [];

  before(async () => {
    harness = await openRestoreHarness({ inProcessWorker: false });
    const secret = process.env.AWS_SECRET_ACCESS_KEY ?? '';
    const keyId = process.env.AWS_ACCESS_KEY_ID ?? '';
    const region = process.env.AWS_REGION ?? '';
    assert.ok(secret.length >= 8 && keyId.length >= 8 && region, 'the stack has real S3 keys and a region to look for');
    keys = [
      { name: 'AWS_SECRET_ACCESS_KEY', value: secret },
      { name: 'AWS_ACCESS_KEY_ID', value: keyId },
    ];
    const sessionToken: Needle = { name: 'AWS_SESSION_TOKEN', value: `tok/${randomBytes(24).toString('base64')}` };
    const apiKey: Needle = { name: 'TEMPORAL_API_KEY', value: `tak-${randomBytes(24).toString('hex')}` };
    needles = [...keys, sessionToken, apiKey];

    // S3 with temporary credentials: the worker signs with the keys and the session token (the AWS SDK's
    // default chain reads all three from its environment), and the proxy refuses any request without them.
    proxy = await startSessionTokenProxy({ sessionToken: sessionToken.value, accessKeyId: keyId, secretAccessKey: secret, region });
    // The worker really uses TEMPORAL_API_KEY: @temporalio/envconfig hands it to NativeConnection as `apiKey`,
    // sent as `authorization: Bearer ...` on every call. An API key turns TLS on by default; the local dev
    // server speaks plain gRPC and ignores the header, so TEMPORAL_TLS=false keeps the key without TLS.
    const env = {
      ...process.env,
      PITR_TASK_QUEUE: harness.taskQueue,
      AWS_ENDPOINT_URL: proxy.endpoint,
      AWS_ENDPOINT_URL_S3: proxy.endpoint,
      AWS_SESSION_TOKEN: sessionToken.value,
      TEMPORAL_API_KEY: apiKey.value,
      TEMPORAL_TLS: 'false',
    };
    const connect = loadClientConnectConfig({ overrideEnvVars: env as Record<string, string> }).connectionOptions;
    assert.ok(connect.apiKey === apiKey.value && connect.tls === false, "the worker's Temporal connection carries the API key, without TLS");
    logDir = await mkdtemp(join(tmpdir(), 'pitr-secrets-'));
    worker = new WorkerProcess({ logFile: join(logDir, 'worker.log'), env });
    await worker.start();
  });

  after(async () => {
    await worker?.stop();
    const strays = await killStrayProcesses(destinations);
    if (strays.length > 0) console.log(`      killed ${strays.length} stray processes: ${strays.map((s) => `${s.pid} ${s.command}`).join('; ')}`);
    await proxy?.stop();
    await harness?.close();
    if (logDir) await rm(logDir, { recursive: true, force: true });
  });

  it('the scanner finds a secret planted anywhere in a synthetic history, raw or encoded (so a clean scan means something)', () => {
    const planted: Needle = { name: 'planted', value: `pl/an+ted-${randomBytes(8).toString('hex')}` };
    const payload = (v: unknown) => ({ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(v)) });
    const clean = {
      events: [
        { eventId: 1, workflowExecutionStartedEventAttributes: { input: { payloads: [payload({ server: 'pg', bucket: 'b' })] } } },
        { eventId: 2, activityTaskFailedEventAttributes: { failure: { message: 'access denied to s3://b', stackTrace: 'at x' } } },
      ],
    };
    assert.deepEqual(findSecrets(clean, [planted]), [], 'nothing is found where nothing was planted');

    const places: [string, unknown][] = [
      ['a JSON payload (bytes)', { events: [{ activityTaskScheduledEventAttributes: { input: { payloads: [payload([{ note: `key ${planted.value}` }])] } } }] }],
      ['a payload exported as base64 text', { events: [{ activityTaskCompletedEventAttributes: { result: { payloads: [{ data: Buffer.from(JSON.stringify({ s: planted.value })).toString('base64') }] } } }] }],
      ['heartbeat details', { pendingActivities: [{ heartbeatDetails: { payloads: [payload({ phase: 'SyncBase', current: planted.value })] } }] }],
      ['a failure message', { events: [{ activityTaskFailedEventAttributes: { failure: { message: `denied: ${planted.value}` } } }] }],
      ['a search attribute', { events: [{ upsertWorkflowSearchAttributesEventAttributes: { searchAttributes: { indexedFields: { RestoreServer: payload(planted.value) } } } }] }],
      ['user metadata', { events: [{ userMetadata: { summary: payload(`restore with ${planted.value}`) } }] }],
      ['a URL-encoded form', { events: [{ failure: { message: `GET /b?X-Amz-Credential=${encodeURIComponent(planted.value)}` } }] }],
      ['a JSON-escaped form inside a payload', { memo: { fields: { note: { data: Buffer.from(`{"s":"${planted.value.replace('/', '\\/')}"}`) } } } }],
    ];
    for (const [where, history] of places) {
      const found = findSecrets(history, [planted]);
      assert.ok(found.length > 0, `the planted secret in ${where} is found`);
      assert.ok(found.every((f) => f.needle === 'planted' && !f.path.includes(planted.value)), 'findings name the needle, never show it');
    }
  });

  it('the sampler finds a secret planted in the environment of a grandchild running as another user (so a clean sample means something)', async () => {
    const planted: Needle = { name: 'planted', value: `pl-${randomBytes(8).toString('hex')}` };
    const { children } = await withChildEnvironments(process.pid, async () => {
      const child = spawn('runuser', ['-u', harness.settings.barmanUser, '--', 'sleep', '0.3'], { env: { PATH: process.env.PATH, PLANTED: planted.value }, stdio: 'ignore' });
      await once(child, 'exit');
    });
    assert.ok(children.commands.has('runuser') && children.commands.has('sleep'), `runuser and its sleep were seen (seen: ${[...children.commands].join(', ')})`);
    const found = findSecrets({ children: environments(children) }, [planted]);
    assert.ok(found.some((f) => f.path.includes('sleep')), `the planted secret is found in the environment of sleep, run as ${harness.settings.barmanUser}: ${report(found)}`);
  });

  it('a completed restore leaves no secret in its history, describe, heartbeats, result, worker log or any child process environment', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    const input = harness.inputFor(target);
    destinations.push(input.destination);
    const {
      value: { handle, result, describes },
      children,
    } = await withChildEnvironments(worker.pid!, async () => {
      const handle = await harness.start(input);
      const { value: result, describes } = await withDescribes(handle, () => handle.result() as Promise<RestoreResult>);
      return { handle, result, describes };
    });
    assert.equal(result.verify.state, 'paused');
    const history = await handle.fetchHistory();
    assert.ok(proxy.counters.forwarded > 0 && proxy.counters.refused === 0, `every S3 request carried the session token (${JSON.stringify(proxy.counters)})`);

    // The scan really reads what matters: decoded inputs, heartbeat details, search attributes.
    const seen = [...texts({ history, describes }, 'scanned')];
    assert.ok(seen.some((t) => t.path.includes('workflowExecutionStartedEventAttributes.input') && t.path.includes('<json>') && t.text === target), 'the decoded workflow input is scanned');
    assert.ok(seen.some((t) => t.path.includes('heartbeatDetails') && t.path.includes('<json>')), `heartbeat details are scanned (${describes.length} describes taken)`);
    assert.ok(seen.some((t) => t.path.includes('searchAttributes') && t.text === 'Done'), 'search attributes are scanned');
    // ... and the programs the worker started were seen while they ran: otherwise their scan proves nothing.
    const environCount = children.processes.reduce((n, p) => n + p.environs.length, 0);
    console.log(
      `      scanned ${history.events?.length} history events, ${describes.length} describes, ${seen.length} texts, ` +
        `${environCount} environments of ${children.processes.length} child processes (${children.rounds} samples): ${[...children.commands].sort().join(', ')}`,
    );
    for (const command of ['barman', 'postgres']) assert.ok(children.commands.has(command), `${command} was seen among the worker's children (seen: ${[...children.commands].sort().join(', ')})`);

    const log = worker.logText();
    assert.match(log, /pitr worker started/, 'the worker log is scanned');
    const findings = findSecrets({ history, describes, result, workerLog: log, children: environments(children) }, needles);
    assert.deepEqual(findings, [], `secrets found in the restore's record, the worker log or a child's environment:\n${report(findings)}`);
  });

  it('a refused restore (target in the future) leaves no secret in its error, history, describe, worker log or the environment of any child sampled', async () => {
    const future = fromEpochMicros(Date.now() * 1000 + 24 * 3600 * 1_000_000);
    const input = harness.inputFor(future);
    destinations.push(input.destination);
    const { value: failure, children } = await withChildEnvironments(worker.pid!, () => runFailingRestore(harness, input));
    assert.equal(failure.type, FailureTypes.TargetUnreachable, failure.message);
    assert.match(failure.message, /cannot be reached/);
    // The plan's children (pg_waldump on one segment, a chown) may live less than a millisecond: whatever the
    // sampler caught is scanned, but only the completed restore's test requires children to have been seen.
    console.log(`      children sampled: ${[...children.commands].sort().join(', ') || 'none'} (${children.rounds} samples)`);
    const history = await failure.handle.fetchHistory();
    const describe = (await failure.handle.describe()).raw;
    const findings = findSecrets({ history, describe, message: failure.message, workerLog: worker.logText(), children: environments(children) }, needles);
    assert.deepEqual(findings, [], `secrets found after a refused restore:\n${report(findings)}`);
  });

  it('a restore failing on a wrong secret (access denied) leaves neither secret nor the key id in history, failure or worker log', async function () {
    this.timeout(120_000);
    const wrong: Needle = { name: 'the wrong AWS_SECRET_ACCESS_KEY', value: `wrong-${randomBytes(16).toString('hex')}` };
    const denied = await openRestoreHarness({ s3Env: { ...process.env, AWS_SECRET_ACCESS_KEY: wrong.value } });
    let workArea: string | undefined;
    try {
      const { fixture } = denied;
      const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
      const input = denied.inputFor(target);
      workArea = workAreaOf(denied, input.server, input.destination);
      const { value: failure, output } = await capturingOutput(() => runFailingRestore(denied, input));
      assert.equal(failure.type, 'AccessDenied', failure.message);
      assert.match(failure.message, /access denied/);
      assert.match(output, /Activity failed/, 'the worker logged the failure: its log is scanned too');
      const history = await failure.handle.fetchHistory();
      const describe = (await failure.handle.describe()).raw;
      const findings = findSecrets({ history, describe, message: failure.message, workerLog: output }, [wrong, ...keys]);
      assert.deepEqual(findings, [], `secrets found after an access-denied restore:\n${report(findings)}`);
    } finally {
      await denied.close();
      if (workArea) await rm(workArea, { recursive: true, force: true });
    }
  });
});
