// The S3 keys stay in the worker's environment: they must never reach Temporal, whose history is kept,
// replicated and shown to anyone with access to the namespace. A real restore and one failing on a wrong
// secret are scanned whole: every history event (inputs, results, heartbeat details, failures, search
// attributes, memo, user metadata), every describe taken while they ran (pending activities' heartbeats and
// last failures), with payloads both as stored and decoded, and the worker's log of the failing one.
import type { WorkflowHandle } from '@temporalio/client';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { RestoreResult } from '../../src/shared';
import { runFailingRestore, workAreaOf } from '../support/bad-input-failure';
import { between, marker } from '../support/fixture';
import { openRestoreHarness, type RestoreHarness } from '../support/restore-harness';

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

describe('secrets never reach workflow history (real Temporal, S3, Barman, PostgreSQL)', function () {
  this.timeout(180_000);
  let harness: RestoreHarness;
  let keys: Needle[];

  before(async () => {
    harness = await openRestoreHarness();
    const secret = process.env.AWS_SECRET_ACCESS_KEY ?? '';
    const keyId = process.env.AWS_ACCESS_KEY_ID ?? '';
    assert.ok(secret.length >= 8 && keyId.length >= 8, 'the stack has real S3 keys to look for');
    keys = [
      { name: 'AWS_SECRET_ACCESS_KEY', value: secret },
      { name: 'AWS_ACCESS_KEY_ID', value: keyId },
    ];
  });

  after(async () => {
    await harness?.close();
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

  it('a completed restore leaves no S3 key in its history, describe, heartbeats or result', async () => {
    const { fixture } = harness;
    const target = between(marker(fixture, 'after-b2-1'), marker(fixture, 'after-b2-2'));
    const handle = await harness.start(harness.inputFor(target));
    const { value: result, describes } = await withDescribes(handle, () => handle.result() as Promise<RestoreResult>);
    assert.equal(result.verify.state, 'paused');
    const history = await handle.fetchHistory();

    // The scan really reads what matters: decoded inputs, heartbeat details, search attributes.
    const seen = [...texts({ history, describes }, 'scanned')];
    assert.ok(seen.some((t) => t.path.includes('workflowExecutionStartedEventAttributes.input') && t.path.includes('<json>') && t.text === target), 'the decoded workflow input is scanned');
    assert.ok(seen.some((t) => t.path.includes('heartbeatDetails') && t.path.includes('<json>')), `heartbeat details are scanned (${describes.length} describes taken)`);
    assert.ok(seen.some((t) => t.path.includes('searchAttributes') && t.text === 'Done'), 'search attributes are scanned');
    console.log(`      scanned ${history.events?.length} history events, ${describes.length} describes, ${seen.length} texts`);

    const findings = findSecrets({ history, describes, result }, keys);
    assert.deepEqual(findings, [], `S3 keys found in the restore's record:\n${report(findings)}`);
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
