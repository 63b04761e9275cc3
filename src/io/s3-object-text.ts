// Reads a small text object (backup.info, .history) whole, up to a size cap: they are a few kilobytes, and
// an object grown to gigabytes (by mistake or on purpose) must not be read into the worker's memory.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { withS3Context } from './s3-client';

/** The object is larger than its cap: the bytes past the cap were not read. */
export class ObjectTooLargeError extends Error {
  constructor(
    readonly bucket: string,
    readonly key: string,
    /** Its size as far as known: the Content-Length, or the bytes read before stopping. */
    readonly size: number,
    readonly maxBytes: number,
  ) {
    super(`s3://${bucket}/${key} is larger than ${maxBytes} bytes (${size} or more), more than such an object can be; it was not read`);
    this.name = 'ObjectTooLargeError';
  }
}

/** The object's bytes (text, or a small object stored compressed: a .history.gz). */
export async function readObjectBytes(s3: S3Client, bucket: string, key: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
  let response;
  try {
    response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
  } catch (err) {
    throw withS3Context(err, { bucket, key });
  }
  const body = response.Body as (Readable & AsyncIterable<Uint8Array>) | undefined;
  if (!body) throw new Error(`s3://${bucket}/${key} has no body`);
  if (response.ContentLength !== undefined && response.ContentLength > maxBytes) {
    body.destroy();
    throw new ObjectTooLargeError(bucket, key, response.ContentLength, maxBytes);
  }
  // The Content-Length may be absent or wrong (a proxy, a chunked answer): the bytes themselves are counted too.
  const chunks: Buffer[] = [];
  let read = 0;
  try {
    for await (const chunk of body) {
      read += chunk.length;
      if (read > maxBytes) {
        body.destroy();
        throw new ObjectTooLargeError(bucket, key, read, maxBytes);
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof ObjectTooLargeError) throw err;
    throw withS3Context(err, { bucket, key });
  }
  return Buffer.concat(chunks);
}
