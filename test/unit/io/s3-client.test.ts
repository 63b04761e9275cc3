import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import assert from 'node:assert/strict';
import { classifyS3Error, createS3Client, withS3Context } from '../../../src/io/s3-client';
import { s3TestSettings, useTestBucket } from '../../support/s3-test-bucket';

async function failureOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => assert.fail('expected the request to fail'),
    (e: unknown) => e,
  );
}

describe('s3-client', () => {
  describe('createS3Client', () => {
    it('uses AWS_ENDPOINT_URL_S3 over AWS_ENDPOINT_URL, with path-style addressing', async () => {
      const s3 = createS3Client({ AWS_ENDPOINT_URL: 'http://127.0.0.1:1', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:2', AWS_REGION: 'eu-west-3' });
      const endpoint = await s3.config.endpoint!();
      assert.equal(endpoint.hostname, '127.0.0.1');
      assert.equal(endpoint.port, 2);
      assert.equal(s3.config.forcePathStyle, true);
      assert.equal(await s3.config.region(), 'eu-west-3');
    });

    it('defaults the region for a custom endpoint, and leaves AWS itself alone', async () => {
      const local = createS3Client({ AWS_ENDPOINT_URL: 'http://127.0.0.1:1' });
      assert.equal(await local.config.region(), 'us-east-1');
      const aws = createS3Client({ AWS_REGION: 'eu-central-1' });
      assert.equal(aws.config.endpoint, undefined);
      assert.notEqual(aws.config.forcePathStyle, true);
    });

    it('honours AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', () => {
      const s3 = createS3Client({ AWS_ENDPOINT_URL: 'http://127.0.0.1:1', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true', AWS_REGION: 'us-east-1' });
      assert.equal(s3.config.endpoint, undefined);
    });
  });

  describe('classifyS3Error (real S3)', function () {
    this.timeout(30_000);
    const bucket = useTestBucket('client');

    it('lists the test bucket with a client built from the environment', async () => {
      await bucket.put('k', 'v');
      const res = await createS3Client().send(new ListObjectsV2Command({ Bucket: bucket.name }));
      assert.equal(res.KeyCount, 1);
    });

    it('NoSuchBucket: BucketNotFound, not retryable, naming the bucket', async () => {
      const err = await failureOf(bucket.s3.send(new ListObjectsV2Command({ Bucket: `${bucket.name}-missing` })));
      const c = classifyS3Error(err, { bucket: `${bucket.name}-missing` });
      assert.deepEqual([c.retryable, c.type], [false, 'BucketNotFound']);
      assert.ok(c.message.includes(`${bucket.name}-missing`));
    });

    it('NoSuchKey: NotFound, not retryable, naming the key (context carried by the error)', async () => {
      const err = await failureOf(bucket.s3.send(new GetObjectCommand({ Bucket: bucket.name, Key: 'no/such/key' })));
      const c = classifyS3Error(withS3Context(err, { bucket: bucket.name, key: 'no/such/key' }));
      assert.deepEqual([c.retryable, c.type], [false, 'NotFound']);
      assert.ok(c.message.includes(`s3://${bucket.name}/no/such/key`));
    });

    it('wrong secret: AccessDenied, not retryable, and no credential in the message', async () => {
      const settings = s3TestSettings();
      const wrongSecret = 'definitely-not-the-secret-0123456789';
      const s3 = createS3Client({
        AWS_ENDPOINT_URL: settings.endpoint,
        AWS_REGION: settings.region,
        AWS_ACCESS_KEY_ID: settings.accessKeyId,
        AWS_SECRET_ACCESS_KEY: wrongSecret,
      });
      const err = await failureOf(s3.send(new ListObjectsV2Command({ Bucket: bucket.name })));
      const c = classifyS3Error(err, { bucket: bucket.name });
      assert.deepEqual([c.retryable, c.type], [false, 'AccessDenied']);
      for (const secret of [wrongSecret, settings.accessKeyId, settings.secretAccessKey]) {
        assert.equal(c.message.includes(secret), false, 'the message must not carry credentials');
      }
    });

    it('unknown access key: AccessDenied', async () => {
      const settings = s3TestSettings();
      const s3 = createS3Client({
        AWS_ENDPOINT_URL: settings.endpoint,
        AWS_REGION: settings.region,
        AWS_ACCESS_KEY_ID: 'AKIANOBODYKNOWS00000',
        AWS_SECRET_ACCESS_KEY: 'whatever-secret',
      });
      const c = classifyS3Error(await failureOf(s3.send(new ListObjectsV2Command({ Bucket: bucket.name }))));
      assert.deepEqual([c.retryable, c.type], [false, 'AccessDenied']);
      assert.equal(c.message.includes('AKIANOBODYKNOWS00000'), false);
    });

    it('connection refused: retryable', async () => {
      const s3 = createS3Client({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' });
      const c = classifyS3Error(await failureOf(s3.send(new ListObjectsV2Command({ Bucket: 'x' }))), { bucket: 'x' });
      assert.equal(c.retryable, true);
      assert.equal(c.type, undefined);
      assert.match(c.message, /ECONNREFUSED/);
    });
  });

  describe('classifyS3Error (shapes)', () => {
    const s3Error = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

    it('5xx and throttling are retryable', () => {
      assert.equal(classifyS3Error(s3Error('InternalError', 500)).retryable, true);
      assert.equal(classifyS3Error(s3Error('SlowDown', 503)).retryable, true);
      assert.equal(classifyS3Error(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })).retryable, true);
      assert.equal(classifyS3Error(Object.assign(new Error('timeout'), { name: 'TimeoutError' })).retryable, true);
    });

    it('auth failures are AccessDenied whatever the server calls them', () => {
      for (const [name, status] of [
        ['AccessDenied', 403],
        ['InvalidAccessKeyId', 403],
        ['SignatureDoesNotMatch', 403],
        ['ExpiredToken', 400],
        ['SomethingNew', 403],
      ] as const) {
        assert.equal(classifyS3Error(s3Error(name, status)).type, 'AccessDenied', name);
      }
      assert.equal(classifyS3Error(s3Error('RequestTimeTooSkewed', 403)).retryable, true);
    });

    it('a bucket in another region (301 PermanentRedirect, 400 AuthorizationHeaderMalformed): WrongRegion, not retryable, naming the region to set', () => {
      const redirect = Object.assign(s3Error('PermanentRedirect', 301), { Endpoint: 'b.s3.eu-west-3.amazonaws.com', $response: { headers: { 'x-amz-bucket-region': 'eu-west-3' } } });
      const c = classifyS3Error(redirect, { bucket: 'b' });
      assert.deepEqual([c.retryable, c.type], [false, 'WrongRegion']);
      assert.match(c.message, /s3:\/\/b .*HTTP 301 PermanentRedirect/);
      assert.match(c.message, /in region eu-west-3/);
      assert.match(c.message, /Set AWS_REGION=eu-west-3 on the worker/);
      // A HEAD has no body: the SDK names the error after the status alone.
      const head = classifyS3Error(s3Error('Unknown', 301), { bucket: 'b' });
      assert.deepEqual([head.retryable, head.type], [false, 'WrongRegion']);
      assert.match(head.message, /Set AWS_REGION on the worker to the bucket's region/);
      const malformed = Object.assign(s3Error('AuthorizationHeaderMalformed', 400), { Region: 'ap-south-1' });
      const m = classifyS3Error(malformed, { bucket: 'b' });
      assert.deepEqual([m.retryable, m.type], [false, 'WrongRegion']);
      assert.match(m.message, /in region ap-south-1/);
    });

    it('other 4xx answers are S3RequestRejected, not retryable; timeouts, conflicts, changed objects and throttling stay retryable', () => {
      for (const [name, status] of [
        ['InvalidRequest', 400],
        ['InvalidArgument', 400],
        ['MethodNotAllowed', 405],
        ['InvalidRange', 416],
        ['SomethingNew', 400],
      ] as const) {
        const c = classifyS3Error(s3Error(name, status), { bucket: 'b', key: 'k' });
        assert.deepEqual([c.retryable, c.type], [false, 'S3RequestRejected'], name);
        assert.ok(c.message.includes(`HTTP ${status} ${name}`), c.message);
        assert.match(c.message, /s3:\/\/b\/k/);
        assert.match(c.message, /AWS_ENDPOINT_URL/);
      }
      for (const [name, status] of [
        ['RequestTimeout', 400],
        ['RequestTimeout', 408],
        ['OperationAborted', 409],
        ['PreconditionFailed', 412],
        ['SlowDown', 429],
        ['TooManyRequests', 429],
        ['TemporaryRedirect', 307],
      ] as const) {
        assert.equal(classifyS3Error(s3Error(name, status)).retryable, true, `${status} ${name}`);
      }
    });

    it('a SignatureDoesNotMatch carrying the key id and string-to-sign leaks neither', () => {
      const err = Object.assign(s3Error('SignatureDoesNotMatch', 403), {
        AWSAccessKeyId: 'AKIASECRETISH',
        StringToSign: 'AWS4-HMAC-SHA256 ...',
      });
      const c = classifyS3Error(err);
      assert.equal(c.message.includes('AKIASECRETISH'), false);
      assert.equal(c.message.includes('AWS4-HMAC'), false);
    });
  });
});
