/**
 * S3 source through the AWS SDK (no DuckDB httpfs): paginated listing (any number of keys per
 * partition), custom endpoints and path-style addressing (MinIO), credentials from the standard
 * AWS chain only. Objects are streamed into the attempt's work dir (several at once, see
 * loadPartition) and their size checked.
 * Access problems (bad credentials, missing bucket) are not retried; network trouble is.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, paginateListObjectsV2, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { BackfillError } from '../../common/failures';
import type { BackfillSpec } from '../../common/spec';
import { isDataFile, partitionPrefix, type SourceFile } from './files';
import type { Source } from './index';

export interface S3Location {
  bucket: string;
  prefix: string;
}

export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!match) throw new BackfillError('ConfigurationError', `not an s3:// uri: ${uri}`);
  const prefix = match[2] ?? '';
  return { bucket: match[1]!, prefix: prefix && !prefix.endsWith('/') ? `${prefix}/` : prefix };
}

export interface S3Defaults {
  endpoint?: string;
  region?: string;
  forcePathStyle?: boolean;
}

/** One client per endpoint/region/style; the spec's source settings override the worker's defaults. */
export function s3ClientFactory(defaults: S3Defaults = {}) {
  const clients = new Map<string, S3Client>();
  return (spec: BackfillSpec): S3Client => {
    const endpoint = spec.source.endpoint ?? defaults.endpoint;
    const region = spec.source.region ?? defaults.region ?? process.env.AWS_REGION ?? 'us-east-1';
    const forcePathStyle = spec.source.forcePathStyle ?? defaults.forcePathStyle ?? false;
    const key = JSON.stringify([endpoint, region, forcePathStyle]);
    let client = clients.get(key);
    if (!client) {
      client = new S3Client({ region, forcePathStyle, maxAttempts: 3, ...(endpoint ? { endpoint } : {}) });
      clients.set(key, client);
    }
    return client;
  };
}

const ACCESS_ERRORS = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'NoSuchBucket',
  'AllAccessDisabled',
  'InvalidBucketName',
  'ExpiredToken',
  'InvalidToken',
]);

/** Maps an SDK error to a failure type with a message that names the bucket, never a credential. */
export function classifyS3Error(err: unknown, what: string, onError?: (code: string) => void): BackfillError {
  const name = (err as { name?: string }).name ?? 'Error';
  const code = (err as { Code?: string; code?: string }).Code ?? (err as { code?: string }).code ?? name;
  onError?.(code);
  if (
    err instanceof S3ServiceException &&
    (ACCESS_ERRORS.has(name) || err.$metadata.httpStatusCode === 403)
  ) {
    const hint =
      name === 'NoSuchBucket'
        ? 'the bucket does not exist'
        : 'check the credentials of the worker (AWS credential chain) and the bucket policy';
    return new BackfillError('SourceAccessError', `${what}: ${name} (${hint})`, { cause: err });
  }
  return new BackfillError('SourceReadError', `${what}: ${name}: ${(err as Error).message}`, { cause: err });
}

export function createS3Source(options: {
  clientFor: (spec: BackfillSpec) => S3Client;
  onError?: (code: string) => void;
}): Source {
  return {
    async list(spec, partitionKey) {
      const { bucket, prefix } = parseS3Uri(spec.source.uri);
      const partition = `${prefix}${partitionPrefix(spec, partitionKey)}`;
      const files: SourceFile[] = [];
      try {
        for await (const page of paginateListObjectsV2(
          { client: options.clientFor(spec) },
          { Bucket: bucket, Prefix: partition },
        )) {
          for (const object of page.Contents ?? []) {
            const key = object.Key ?? '';
            if (key.endsWith('/')) continue;
            if (!key.slice(partition.length).split('/').every(isDataFile)) continue;
            files.push({
              name: key.slice(prefix.length),
              uri: `s3://${bucket}/${key}`,
              size: object.Size ?? 0,
              ...(object.ETag ? { etag: object.ETag } : {}),
            });
          }
        }
      } catch (err) {
        throw classifyS3Error(err, `listing s3://${bucket}/${partition}`, options.onError);
      }
      return files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },

    async materialize(spec, file, workDir, signal) {
      const { bucket } = parseS3Uri(spec.source.uri);
      const key = file.uri.slice(`s3://${bucket}/`.length);
      // Keys are untrusted: the local name is a hash of the key, keeping only a safe extension (format, .gz).
      const local = path.join(
        workDir,
        `s3-${createHash('sha256').update(key).digest('hex').slice(0, 24)}${extensionOf(key)}`,
      );
      try {
        const response = await options
          .clientFor(spec)
          .send(new GetObjectCommand({ Bucket: bucket, Key: key }), signal ? { abortSignal: signal } : {});
        await pipeline(response.Body as Readable, createWriteStream(local), signal ? { signal } : {});
      } catch (err) {
        throw classifyS3Error(err, `downloading ${file.uri}`, options.onError);
      }
      const { size } = await stat(local);
      if (size !== file.size) {
        throw new BackfillError(
          'SourceReadError',
          `downloading ${file.uri}: got ${size} bytes, the listing said ${file.size}`,
        );
      }
      return local;
    },
  };
}

/** The file's extensions as one suffix (".ndjson.gz"), restricted to safe characters. */
function extensionOf(key: string): string {
  const base = key.split('/').pop() ?? '';
  const match = /(\.[A-Za-z0-9]{1,10}){1,2}$/.exec(base);
  return match ? match[0] : '';
}
