// S3 with temporary credentials, for tests: the local S3 server (versitygw) has no STS and answers
// InvalidToken to any request carrying X-Amz-Security-Token, so a worker given AWS_SESSION_TOKEN cannot
// reach it directly. This proxy plays the part of AWS: it refuses (403 InvalidToken) every request that
// does not carry the expected session token under the expected access key id, as S3 does for temporary
// credentials, then drops the token and signs the request again (SigV4, with the stack's own keys) for the
// real server. It listens on 127.0.0.1 and forwards to a loopback endpoint only.
import { createHash, createHmac } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SessionTokenProxyOptions {
  /** The session token requests must carry (X-Amz-Security-Token). */
  sessionToken: string;
  /** The keys the worker signs with and the proxy signs again with (the real server's). */
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** The real S3 endpoint (default AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL): a loopback http URL. */
  target?: string;
}

export interface SessionTokenProxy {
  /** http://127.0.0.1:<port>: the worker's AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3. */
  endpoint: string;
  /** Requests that carried the token and were forwarded; requests refused for a missing or wrong token. */
  counters: { forwarded: number; refused: number };
  stop(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export async function startSessionTokenProxy(options: SessionTokenProxyOptions): Promise<SessionTokenProxy> {
  const targetText = options.target ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  if (!targetText) throw new Error('the session-token proxy needs a target: set AWS_ENDPOINT_URL (source .stack/env)');
  const target = new URL(targetText);
  if (target.protocol !== 'http:' || !LOOPBACK.has(target.hostname)) {
    throw new Error(`the session-token proxy only forwards to a loopback http endpoint, not ${targetText}`);
  }
  const counters = { forwarded: 0, refused: 0 };
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const credential = /Credential=([^/,\s]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
    if (req.headers['x-amz-security-token'] !== options.sessionToken || credential !== options.accessKeyId) {
      counters.refused++;
      req.resume();
      const body =
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidToken</Code>' +
        '<Message>The provided token is malformed or otherwise invalid.</Message></Error>';
      res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    counters.forwarded++;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || name === 'authorization' || name === 'x-amz-security-token') continue;
      headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
    headers.host = target.host;
    headers['x-amz-date'] = amzDate(new Date());
    headers['x-amz-content-sha256'] ??= 'UNSIGNED-PAYLOAD';
    headers.authorization = signV4(req.method ?? 'GET', req.url ?? '/', headers, options);

    const upstream = httpRequest({ host: target.hostname.replace(/^\[|\]$/g, ''), port: target.port || 80, method: req.method, path: req.url, headers, agent });
    req.pipe(upstream);
    let upstreamRes: IncomingMessage;
    try {
      upstreamRes = await new Promise<IncomingMessage>((resolve, reject) => {
        upstream.once('response', resolve);
        upstream.once('error', reject);
      });
    } catch {
      res.writeHead(502);
      res.end();
      return;
    }
    res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
    upstreamRes.pipe(res);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counters,
    async stop() {
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function amzDate(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** RFC 3986 encoding, as SigV4 wants for query names and values. */
function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The SigV4 Authorization header for an S3 request (path as sent: S3 does not encode it twice), signing host and every x-amz-* header. */
function signV4(method: string, url: string, headers: Record<string, string>, keys: Pick<SessionTokenProxyOptions, 'accessKeyId' | 'secretAccessKey' | 'region'>): string {
  const [path, query = ''] = url.split(/\?(.*)/s, 2);
  const canonicalQuery = query
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const [name, value = ''] = pair.split(/=(.*)/s, 2).map((part) => decodeURIComponent(part));
      return [rfc3986(name), rfc3986(value)];
    })
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const signed = Object.keys(headers)
    .filter((name) => name === 'host' || name.startsWith('x-amz-'))
    .sort();
  const canonicalHeaders = signed.map((name) => `${name}:${headers[name].trim().replace(/\s+/g, ' ')}\n`).join('');
  const date = headers['x-amz-date'];
  const scope = `${date.slice(0, 8)}/${keys.region}/s3/aws4_request`;
  const canonicalRequest = [method, path, canonicalQuery, canonicalHeaders, signed.join(';'), headers['x-amz-content-sha256']].join('\n');
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  let key: Buffer = Buffer.from(`AWS4${keys.secretAccessKey}`);
  for (const part of [date.slice(0, 8), keys.region, 's3', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${keys.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`;
}
