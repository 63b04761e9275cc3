// The S3 client of the project, and what its errors mean for retrying.
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

/**
 * An S3 client with the SDK's default credential chain and region resolution, pointed at a custom
 * endpoint when `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` is set.
 *
 * The SDK (v3.1175) reads those two variables itself, but only from `process.env`; resolving them here
 * keeps the `env` argument authoritative and lets us switch on path-style addressing in the same place,
 * which local S3 servers (versitygw, MinIO) need because `bucket.127.0.0.1` does not resolve.
 */
export function createS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = configuredEndpoint(env);
  const config: S3ClientConfig = {};
  if (endpoint) {
    config.endpoint = endpoint;
    config.forcePathStyle = true;
  }
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (region) config.region = region;
  else if (endpoint) config.region = regionOrDefault();
  if (env !== process.env && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    // The default chain reads process.env only; honour keys in an explicitly given environment.
    config.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
    };
  }
  return new S3Client(config);
}

/**
 * The SDK's own region (profile, IMDS, ...), else us-east-1: local servers do not care about the region,
 * but the SDK refuses to sign without one.
 */
function regionOrDefault(): () => Promise<string> {
  let resolved: Promise<string> | undefined;
  return () =>
    (resolved ??= (async () => {
      const probe = new S3Client({});
      try {
        return await probe.config.region();
      } catch {
        return 'us-east-1';
      } finally {
        probe.destroy();
      }
    })());
}

function configuredEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  const ignore = (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '').toLowerCase();
  if (ignore === 'true' || ignore === '1') return undefined;
  return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
}

export type S3ErrorType = 'BucketNotFound' | 'AccessDenied' | 'NotFound' | 'WrongRegion' | 'S3RequestRejected';

export interface S3ErrorClass {
  retryable: boolean;
  type?: S3ErrorType;
  message: string;
}

/** What the failed request was about, so that messages can name it. */
export interface S3ErrorContext {
  bucket?: string;
  key?: string;
}

const AUTH_ERRORS = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'AccountProblem',
  'AllAccessDisabled',
  'CredentialsProviderError',
  // versitygw's answer to an unknown access key (AWS says InvalidAccessKeyId).
  'XAdminUserNotFound',
]);

/** 4xx answers that a later request can get past: a slow or conflicting request, an object replaced since it was listed, throttling. */
const RETRYABLE_4XX_STATUS = new Set([408, 409, 412, 429]);
const RETRYABLE_4XX_NAMES = new Set(['RequestTimeout', 'RequestTimeTooSkewed', 'OperationAborted', 'PreconditionFailed', 'SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequests', 'TooManyRequestsException', 'RequestThrottled']);

/**
 * Sorts an S3 (or network) error into what retrying can fix and what it cannot. The message is built
 * here from the error's name, status and the bucket/key: never from the raw error, whose extra fields
 * (StringToSign, AWSAccessKeyId, ...) are no business of a log.
 */
export function classifyS3Error(err: unknown, ctx: S3ErrorContext = contextOf(err)): S3ErrorClass {
  // s3-download's integrity error: the object changed or arrived damaged; fetching again can fix it.
  if (err instanceof Error && err.name === 'DownloadIntegrityError') return { retryable: true, message: err.message };
  const e = (err ?? {}) as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const where = describe(ctx);

  if (name === 'NoSuchBucket') {
    return notRetryable('BucketNotFound', `bucket ${JSON.stringify(ctx.bucket ?? '?')} does not exist (check the bucket name and AWS_ENDPOINT_URL/region)`);
  }
  if (AUTH_ERRORS.has(name) || (status === 403 && name !== 'RequestTimeTooSkewed')) {
    return notRetryable(
      'AccessDenied',
      `access denied to ${where} (${name}): check the AWS credentials and that they may ` +
        `ListBucket and GetObject on this bucket`,
    );
  }
  if (name === 'NoSuchKey' || (name === 'NotFound' && status === 404)) {
    return notRetryable('NotFound', `object ${where} does not exist (deleted since it was listed?)`);
  }
  // A bucket in another region: AWS answers 301 PermanentRedirect (no body for a HEAD), or 400
  // AuthorizationHeaderMalformed at the bucket's regional endpoint. The SDK follows neither.
  if (status === 301 || name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed') {
    const region = bucketRegion(err);
    return notRetryable(
      'WrongRegion',
      `${where} is not reachable with the worker's S3 settings: S3 answered HTTP ${status ?? '?'} ${name}` +
        `${region ? `, the bucket is in region ${region}` : ''}: the bucket is in another region than the worker's S3 client uses, or AWS_ENDPOINT_URL names the wrong endpoint. ` +
        `${region ? `Set AWS_REGION=${region} on the worker` : "Set AWS_REGION on the worker to the bucket's region (aws s3api get-bucket-location)"} ` +
        '(or correct AWS_ENDPOINT_URL), restart it, and start the restore again',
    );
  }
  if (status !== undefined && status >= 400 && status < 500 && !RETRYABLE_4XX_STATUS.has(status) && !RETRYABLE_4XX_NAMES.has(name)) {
    return notRetryable(
      'S3RequestRejected',
      `S3 refused the request on ${where} (HTTP ${status} ${name}${e.message && e.message !== name ? `: ${oneLine(e.message)}` : ''}); ` +
        'sending it again gets the same answer. Check the worker\'s S3 settings (AWS_ENDPOINT_URL, AWS_REGION, the bucket and prefix) and that the server supports S3 requests such as ListObjectsV2 and ranged GetObject',
    );
  }
  const detail = status ? `HTTP ${status} ${name}` : e.code ? `${name} ${e.code}` : name;
  return { retryable: true, message: `S3 request on ${where} failed (${detail}): ${oneLine(e.message ?? '')}` };
}

function notRetryable(type: S3ErrorType, message: string): S3ErrorClass {
  return { retryable: false, type, message };
}

/** The bucket's region, when the answer names it (the x-amz-bucket-region header, or a Region field); only a plain region name. */
function bucketRegion(err: unknown): string | undefined {
  const e = err as { Region?: unknown; $response?: { headers?: Record<string, unknown> } } | null;
  const region = e?.$response?.headers?.['x-amz-bucket-region'] ?? e?.Region;
  return typeof region === 'string' && /^[a-z0-9-]{1,40}$/.test(region) ? region : undefined;
}

const CONTEXT = Symbol('s3ErrorContext');

/** Tags an error with the bucket and key it is about, for classifyS3Error further up; returns it. */
export function withS3Context<E>(err: E, ctx: S3ErrorContext): E {
  if (err !== null && typeof err === 'object' && !(CONTEXT in err)) {
    Object.defineProperty(err, CONTEXT, { value: ctx, enumerable: false });
  }
  return err;
}

function contextOf(err: unknown): S3ErrorContext {
  if (err !== null && typeof err === 'object' && CONTEXT in err) return (err as Record<symbol, S3ErrorContext>)[CONTEXT]!;
  return {};
}

function describe(ctx: S3ErrorContext): string {
  if (ctx.bucket && ctx.key) return `s3://${ctx.bucket}/${ctx.key}`;
  if (ctx.bucket) return `s3://${ctx.bucket}`;
  return 'S3';
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').slice(0, 300);
}
