// Paginated listing of the objects under a prefix.
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { withS3Context } from './s3-client';

export interface S3ObjectInfo {
  key: string;
  size: number;
  /** Without the surrounding quotes S3 puts on it. */
  etag: string;
  lastModified: Date;
}

export interface ListOptions {
  /** Keys per ListObjectsV2 page; S3's own default (and maximum) is 1000. */
  pageSize?: number;
}

/** Every object under `prefix`, page by page, in S3's (lexicographic) key order. */
export async function* listObjects(
  s3: S3Client,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
  opts: ListOptions = {},
): AsyncIterable<S3ObjectInfo> {
  let token: string | undefined;
  do {
    signal?.throwIfAborted();
    const page = await s3
      .send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: opts.pageSize }), { abortSignal: signal })
      .catch((err: unknown) => {
        // Name the bucket in the failure (e.g. NoSuchBucket): classifyS3Error reads it from here.
        throw withS3Context(err, { bucket });
      });
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined) continue;
      yield {
        key: o.Key,
        size: o.Size ?? 0,
        etag: unquoteEtag(o.ETag ?? ''),
        lastModified: o.LastModified ?? new Date(0),
      };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** listObjects collected into an array: for listings known to be small (one backup's objects, one WAL folder). */
export async function listAll(
  s3: S3Client,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
  opts: ListOptions = {},
): Promise<S3ObjectInfo[]> {
  const all: S3ObjectInfo[] = [];
  for await (const o of listObjects(s3, bucket, prefix, signal, opts)) all.push(o);
  return all;
}

export function unquoteEtag(etag: string): string {
  return etag.replace(/^"(.*)"$/, '$1');
}
