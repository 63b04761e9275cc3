// A fresh bucket on the real local S3 server for one mocha suite, deleted with its objects afterwards.
// The endpoint and keys come from the environment (.stack/env); without them the suite fails, never skips.
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createS3Client } from '../../src/io/s3-client';
import { listObjects } from '../../src/io/s3-listing';

const REQUIRED = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] as const;

export interface S3TestSettings {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/** The S3 settings of the local stack, or an error saying how to provide them. */
export function s3TestSettings(env: NodeJS.ProcessEnv = process.env): S3TestSettings {
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  const missing = [...(endpoint ? [] : ['AWS_ENDPOINT_URL']), ...REQUIRED.filter((v) => !env[v])];
  if (missing.length > 0) {
    throw new Error(
      `S3 tests need a real S3 server, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set: ` +
        'run `npm run stack:up` and `source .stack/env`, then run the tests again',
    );
  }
  return {
    endpoint: endpoint!,
    accessKeyId: env.AWS_ACCESS_KEY_ID!,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY!,
    region: env.AWS_REGION!,
  };
}

export interface TestBucket {
  readonly s3: S3Client;
  readonly name: string;
  readonly settings: S3TestSettings;
  /** Uploads a body (buffer, string, or a local file by path) and returns the unquoted ETag. */
  put(key: string, body: Buffer | string | { file: string }): Promise<string>;
}

/** Call inside a `describe`: creates the bucket before the suite and deletes it after. */
export function useTestBucket(label = 'io'): TestBucket {
  let state: { s3: S3Client; name: string; settings: S3TestSettings } | undefined;
  const need = () => {
    if (!state) throw new Error('the test bucket is not ready: useTestBucket() must be called inside describe()');
    return state;
  };

  before(async function () {
    this.timeout(30_000);
    const settings = s3TestSettings();
    const s3 = createS3Client();
    const name = `pitr-test-${label}-${randomBytes(4).toString('hex')}`;
    await s3.send(new CreateBucketCommand({ Bucket: name }));
    state = { s3, name, settings };
  });

  after(async function () {
    this.timeout(60_000);
    if (!state) return;
    const { s3, name } = state;
    let batch: { Key: string }[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await s3.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: batch, Quiet: true } }));
      batch = [];
    };
    for await (const o of listObjects(s3, name, '')) {
      batch.push({ Key: o.key });
      if (batch.length === 1000) await flush();
    }
    await flush();
    await s3.send(new DeleteBucketCommand({ Bucket: name }));
    s3.destroy();
    state = undefined;
  });

  return {
    get s3() {
      return need().s3;
    },
    get name() {
      return need().name;
    },
    get settings() {
      return need().settings;
    },
    async put(key, body) {
      const { s3, name } = need();
      const payload =
        typeof body === 'object' && !Buffer.isBuffer(body)
          ? { Body: createReadStream(body.file), ContentLength: (await stat(body.file)).size }
          : { Body: body };
      const res = await s3.send(new PutObjectCommand({ Bucket: name, Key: key, ...payload }));
      return (res.ETag ?? '').replace(/^"(.*)"$/, '$1');
    },
  };
}
