// Reads a small text object (backup.info, .history) whole: these are a few kilobytes.
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { withS3Context } from './s3-client';

export async function readObjectText(s3: S3Client, bucket: string, key: string, signal?: AbortSignal): Promise<string> {
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    if (!response.Body) throw new Error(`s3://${bucket}/${key} has no body`);
    return await response.Body.transformToString('utf8');
  } catch (err) {
    throw withS3Context(err, { bucket, key });
  }
}
