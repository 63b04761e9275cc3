// A fault-injecting HTTP proxy of our own in front of the real (local) S3 server, for robustness
// tests: S3-style 500/503 errors, connections reset part-way through a response body, slow and
// throttled responses, at set rates from a seeded PRNG. Requests are forwarded unchanged (method,
// path, query, headers including Host, which SigV4 signs; bodies streamed), so the client's
// signatures stay valid. It listens on 127.0.0.1 only and forwards to a loopback endpoint only.
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FaultOptions {
  /** Share of requests answered with an S3-style 500 InternalError or 503 SlowDown instead of being forwarded. */
  errorRate: number;
  /** Share of forwarded requests whose client connection is destroyed part-way through the response body. */
  resetRate: number;
  /** Delay before a request is answered (forwarded or failed). */
  delayMs: number;
  /** Share of requests that get the delay (default 1: all of them, when delayMs > 0). */
  delayRate: number;
  /** Response body bytes per second, shared by all responses in flight (0: unlimited). Never a fault: applies to every request. */
  bytesPerSecond: number;
  /** Apply errors, resets and delays only to GetObject requests (GET of a key), not to listings and the like. */
  faultsOnlyOnGetObject: boolean;
  /**
   * The next N GetObject responses of at least 64 KiB (object parts, not small probes) whose path contains
   * `corruptKeyContains` and whose Range header starts with `corruptRangePrefix` get 4 KiB inverted in the
   * middle of their body: damage in transit that status, headers and length do not show.
   */
  corruptBodies: number;
  corruptKeyContains: string;
  corruptRangePrefix: string;
  /**
   * The next N requests (of any kind, before any other fault) are answered with `errorAnswer` instead of
   * being forwarded: what a real S3 says that retrying cannot change (a bucket in another region, a refused request).
   */
  errorAnswers: number;
  errorAnswer: S3ErrorAnswer | null;
}

/** An S3 error answer: status, `<Code>`, `<Message>`, extra `<Error>` fields (e.g. Region, Endpoint) and headers. */
export interface S3ErrorAnswer {
  status: number;
  code: string;
  message: string;
  fields?: Record<string, string>;
  headers?: Record<string, string>;
}

const CORRUPT_MIN_BYTES = 64 * 1024;
const CORRUPT_BYTES = 4096;

export interface FaultCounters {
  requests: number;
  getObjectRequests: number;
  forwarded: number;
  errors500: number;
  errors503: number;
  resets: number;
  corrupted: number;
  /** Requests answered with `errorAnswer`. */
  answered: number;
  delayed: number;
  /** Response body bytes sent to clients. */
  bytesForwarded: number;
  /** The upstream S3 server could not be reached (answered 502). */
  upstreamErrors: number;
}

export interface ProxiedRequest {
  at: number;
  method: string;
  /** Path and query as received. */
  url: string;
  range?: string;
  fault?: '500' | '503' | 'reset' | 'corrupt' | 'answer';
  status?: number;
  /** Response body bytes sent for this request. */
  bytes: number;
}

export interface S3FaultProxy {
  /** http://127.0.0.1:<port>: use as AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3. */
  endpoint: string;
  /** Live counters (the same object, updated in place). */
  counters: FaultCounters;
  /** The most recent requests (at most 20,000), oldest first. */
  requests: ProxiedRequest[];
  /** Changes options at run time; affects requests that arrive afterwards (throttling: also bytes still to send). */
  set(options: Partial<FaultOptions>): void;
  options(): FaultOptions;
  /** Total of injected faults: errors and resets. */
  faultsInjected(): number;
  stop(): Promise<void>;
}

export interface StartOptions extends Partial<FaultOptions> {
  /** The real S3 endpoint (default AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL); must be a loopback http URL. */
  target?: string;
  /** PRNG seed: the same seed gives the same sequence of fault decisions. */
  seed?: number;
}

const DEFAULTS: FaultOptions = {
  errorRate: 0,
  resetRate: 0,
  delayMs: 0,
  delayRate: 1,
  bytesPerSecond: 0,
  corruptBodies: 0,
  corruptKeyContains: '',
  corruptRangePrefix: '',
  faultsOnlyOnGetObject: false,
  errorAnswers: 0,
  errorAnswer: null,
};

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const MAX_LOG = 20_000;
/** Throttled bodies are sent in slices this large, so that concurrent responses interleave. */
const SLICE = 16 * 1024;

export async function startS3FaultProxy(start: StartOptions = {}): Promise<S3FaultProxy> {
  const targetText = start.target ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  if (!targetText) throw new Error('the S3 fault proxy needs a target: set AWS_ENDPOINT_URL (source .stack/env)');
  const target = new URL(targetText);
  if (target.protocol !== 'http:' || !LOOPBACK.has(target.hostname)) {
    throw new Error(`the S3 fault proxy only forwards to a loopback http endpoint, not ${targetText}`);
  }
  const { target: _t, seed = 1, ...initial } = start;
  let options: FaultOptions = validate({ ...DEFAULTS, ...initial });
  const random = mulberry32(seed);
  const counters: FaultCounters = {
    requests: 0,
    getObjectRequests: 0,
    forwarded: 0,
    errors500: 0,
    errors503: 0,
    resets: 0,
    corrupted: 0,
    answered: 0,
    delayed: 0,
    bytesForwarded: 0,
    upstreamErrors: 0,
  };
  const requests: ProxiedRequest[] = [];
  const throttle = new SharedThrottle(() => options.bytesPerSecond);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const sockets = new Set<Socket>();
  let requestSeq = 0;

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const seq = ++requestSeq;
    const record: ProxiedRequest = { at: Date.now(), method: req.method ?? 'GET', url: req.url ?? '/', range: header(req, 'range'), bytes: 0 };
    requests.push(record);
    if (requests.length > MAX_LOG) requests.shift();
    counters.requests++;
    const getObject = isGetObject(req);
    if (getObject) counters.getObjectRequests++;

    // All decisions are drawn up front, in arrival order, so that a seed reproduces them.
    const opts = options;
    const rollError = random();
    const rollStatus = random();
    const rollReset = random();
    const rollResetAt = random();
    const rollDelay = random();
    const faultable = getObject || !opts.faultsOnlyOnGetObject;

    if (opts.errorAnswers > 0 && opts.errorAnswer) {
      options = { ...options, errorAnswers: options.errorAnswers - 1 };
      await drain(req);
      const { status, code, message, fields = {}, headers = {} } = opts.errorAnswer;
      counters.answered++;
      record.fault = 'answer';
      record.status = status;
      const extra = Object.entries(fields).map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`).join('');
      // A HEAD answer has no body (S3 sends none): the client sees the status and headers alone.
      const body =
        req.method === 'HEAD'
          ? ''
          : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message>${extra}<RequestId>pitr-answer-${seq}</RequestId></Error>`;
      res.writeHead(status, { ...headers, 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), 'x-amz-request-id': `pitr-answer-${seq}` });
      res.end(body);
      return;
    }

    if (faultable && opts.delayMs > 0 && rollDelay < opts.delayRate) {
      counters.delayed++;
      await sleep(opts.delayMs);
    }
    if (faultable && rollError < opts.errorRate) {
      await drain(req);
      const is503 = rollStatus < 0.5;
      record.fault = is503 ? '503' : '500';
      record.status = is503 ? 503 : 500;
      if (is503) counters.errors503++;
      else counters.errors500++;
      const [code, message] = is503
        ? ['SlowDown', 'Please reduce your request rate.']
        : ['InternalError', 'We encountered an internal error. Please try again.'];
      const body =
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>` +
        `<Resource>${escapeXml(req.url ?? '/')}</Resource><RequestId>pitr-fault-${seq}</RequestId></Error>`;
      res.writeHead(record.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body), 'x-amz-request-id': `pitr-fault-${seq}` });
      res.end(body);
      return;
    }
    const reset = faultable && rollReset < opts.resetRate;

    const upstream = httpRequest({
      host: target.hostname.replace(/^\[|\]$/g, ''),
      port: target.port || 80,
      method: req.method,
      path: req.url,
      headers: req.headers,
      agent,
    });
    req.pipe(upstream);
    let upstreamRes: IncomingMessage;
    try {
      upstreamRes = await new Promise<IncomingMessage>((resolve, reject) => {
        upstream.once('response', resolve);
        upstream.once('error', reject);
      });
    } catch (err) {
      counters.upstreamErrors++;
      record.status = 502;
      if (!res.headersSent) {
        const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>BadGateway</Code><Message>${escapeXml(String(err))}</Message></Error>`;
        res.writeHead(502, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      } else {
        res.destroy();
      }
      return;
    }
    counters.forwarded++;
    record.status = upstreamRes.statusCode;
    res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, upstreamRes.rawHeaders);

    const length = Number(upstreamRes.headers['content-length'] ?? NaN);
    const path = (req.url ?? '').split('?')[0] ?? '';
    const corrupt =
      req.method === 'GET' && options.corruptBodies > 0 && path.includes(options.corruptKeyContains) && (req.headers.range ?? '').startsWith(options.corruptRangePrefix) &&
      (upstreamRes.statusCode === 200 || upstreamRes.statusCode === 206) && Number.isFinite(length) && length >= CORRUPT_MIN_BYTES;
    const corruptAt = corrupt ? Math.floor(length / 2) : -1;
    if (corrupt) {
      options = { ...options, corruptBodies: options.corruptBodies - 1 };
      counters.corrupted++;
      record.fault = 'corrupt';
    }
    // Where to cut: inside the body, so that at least one byte arrives (when there are two) and at least one never does.
    const resetAt = reset ? (Number.isFinite(length) && length > 2 ? 1 + Math.floor(rollResetAt * (length - 2)) : 0) : Infinity;
    let sent = 0;
    let clientGone = false;
    res.on('close', () => {
      clientGone = true;
    });
    try {
      if (resetAt === 0) {
        // A body this short (or of unknown length) cannot be cut inside: cut right after the headers.
        res.flushHeaders();
        counters.resets++;
        record.fault = 'reset';
        res.socket?.destroy();
        upstreamRes.destroy();
        return;
      }
      for await (const chunk of upstreamRes as AsyncIterable<Buffer>) {
        for (let off = 0; off < chunk.length; ) {
          if (clientGone) throw new Error('client went away');
          let slice = chunk.subarray(off, off + (options.bytesPerSecond > 0 ? SLICE : chunk.length));
          if (sent + slice.length >= resetAt) slice = slice.subarray(0, Math.max(0, resetAt - sent));
          // Inverts CORRUPT_BYTES bytes from the middle on: enough to break a deflate stream where it is, not only its checksum at the end.
          const from = Math.max(corruptAt, sent);
          const to = Math.min(corruptAt + CORRUPT_BYTES, sent + slice.length);
          if (corruptAt >= 0 && from < to) {
            slice = Buffer.from(slice);
            for (let i = from; i < to; i++) slice[i - sent]! ^= 0xff;
          }
          await throttle.take(slice.length);
          if (slice.length > 0 && !res.write(slice)) await waitDrain(res);
          sent += slice.length;
          off += slice.length;
          record.bytes = sent;
          counters.bytesForwarded += slice.length;
          if (sent >= resetAt) {
            counters.resets++;
            record.fault = 'reset';
            res.socket?.destroy();
            upstreamRes.destroy();
            return;
          }
        }
      }
      res.end();
    } catch {
      upstreamRes.destroy();
      res.destroy();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    counters,
    requests,
    set(change) {
      options = validate({ ...options, ...change });
    },
    options: () => ({ ...options }),
    faultsInjected: () => counters.errors500 + counters.errors503 + counters.resets,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}

/** GetObject: a GET of a key (path-style /bucket/key), not a bucket-level request such as ListObjectsV2. */
function isGetObject(req: IncomingMessage): boolean {
  if (req.method !== 'GET') return false;
  const url = new URL(req.url ?? '/', 'http://proxy');
  const [, bucket, ...key] = url.pathname.split('/');
  if (!bucket || key.join('/') === '') return false;
  return !['acl', 'tagging', 'attributes', 'uploadId', 'legal-hold', 'retention', 'torrent'].some((sub) => url.searchParams.has(sub));
}

/** One budget of bytes per second shared by every response in flight. */
class SharedThrottle {
  private nextFree = 0;
  constructor(private readonly rate: () => number) {}

  async take(bytes: number): Promise<void> {
    const rate = this.rate();
    if (rate <= 0 || bytes === 0) return;
    const now = Date.now();
    const start = Math.max(now, this.nextFree);
    this.nextFree = start + (bytes / rate) * 1000;
    const wait = this.nextFree - now;
    if (wait > 1) await sleep(wait);
  }
}

function validate(o: FaultOptions): FaultOptions {
  for (const key of ['errorRate', 'resetRate', 'delayRate'] as const) {
    if (!(o[key] >= 0 && o[key] <= 1)) throw new RangeError(`${key} must be between 0 and 1, got ${o[key]}`);
  }
  for (const key of ['delayMs', 'bytesPerSecond', 'corruptBodies', 'errorAnswers'] as const) {
    if (!(o[key] >= 0 && Number.isFinite(o[key]))) throw new RangeError(`${key} must be a finite number >= 0, got ${o[key]}`);
  }
  return { ...o };
}

/** mulberry32: a small, seedable PRNG; good enough for fault decisions. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

async function drain(req: IncomingMessage): Promise<void> {
  req.resume();
  if (req.readableEnded) return;
  await new Promise<void>((resolve) => {
    req.once('end', resolve);
    req.once('error', () => resolve());
    req.once('close', () => resolve());
  });
}

function waitDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
