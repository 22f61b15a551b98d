/**
 * The staging location of sharded partitions (spec staging.uri): an S3 prefix or a shared directory
 * every worker reaches. Shards put their Parquet and markers here; the commit takes them back. S3
 * goes through the AWS SDK with the worker's credential chain (as the source does; no credential is
 * ever in the spec or in history); a directory is plain files, written to a temporary name and
 * renamed so a reader never sees half a file.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  NoSuchKey,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { BackfillError } from '../../common/failures';
import type { BackfillSpec } from '../../common/spec';
import { classifyS3Error, parseS3Uri, type S3Defaults } from '../sources/s3-source';

export interface StagingLocation {
  /** The staging uri, for messages. */
  readonly uri: string;
  /** Where a key is, for messages: s3://bucket/prefix/key or /dir/key. */
  describe(key: string): string;
  /** Puts a local file at the key (replacing what is there). */
  putFile(key: string, localFile: string): Promise<void>;
  /**
   * Puts what `write` writes to the local path it is given at the key: a directory lets it write in
   * place (a temporary name, then renamed), S3 uploads it from `workDir`. Saves a copy of each file.
   */
  putWritten(key: string, workDir: string, write: (localFile: string) => Promise<void>): Promise<void>;
  putText(key: string, text: string): Promise<void>;
  /** The text at the key, or undefined when there is none. */
  getText(key: string): Promise<string | undefined>;
  /** A local path holding the key's content: the file itself (a directory), or a download into workDir. */
  fetchFile(key: string, workDir: string, signal?: AbortSignal): Promise<string>;
  /** Every key under the prefix (relative to the location). */
  list(prefix: string): Promise<string[]>;
  /** Removes every key under the prefix; returns how many. */
  remove(prefix: string): Promise<number>;
}

type StagingSpec = Pick<BackfillSpec, 'staging' | 'source'>;

/** The spec's staging location; S3 settings default to the source's, then to the worker's. */
export function stagingLocation(spec: StagingSpec, defaults: S3Defaults = {}): StagingLocation {
  const staging = spec.staging;
  if (!staging)
    throw new BackfillError(
      'ConfigurationError',
      'source.shards needs staging.uri (s3://bucket/prefix/ or a shared directory)',
    );
  if (!staging.uri.startsWith('s3://')) return new DirectoryLocation(staging.uri);
  const endpoint = staging.endpoint ?? spec.source.endpoint ?? defaults.endpoint;
  const region =
    staging.region ?? spec.source.region ?? defaults.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const forcePathStyle =
    staging.forcePathStyle ?? spec.source.forcePathStyle ?? defaults.forcePathStyle ?? false;
  return new S3Location(
    staging.uri,
    clientFor({ ...(endpoint ? { endpoint } : {}), region, forcePathStyle }),
  );
}

const clients = new Map<string, S3Client>();
function clientFor(settings: { endpoint?: string; region: string; forcePathStyle: boolean }): S3Client {
  const key = JSON.stringify(settings);
  let client = clients.get(key);
  if (!client) {
    client = new S3Client({ ...settings, maxAttempts: 3 });
    clients.set(key, client);
  }
  return client;
}

/**
 * Writes, reads back and deletes a small object: the location is reachable and writable by this
 * worker, or one clear line says why not.
 */
export async function probeStaging(location: StagingLocation): Promise<void> {
  const key = `_probe/${randomUUID()}`;
  try {
    await location.putText(key, 'probe');
    if ((await location.getText(key)) !== 'probe')
      throw new Error('an object written could not be read back');
    await location.remove(key);
  } catch (err) {
    const reason = err instanceof BackfillError ? err.message : (err as Error).message;
    // No cause: the reason is in the one line, and the CLI shows a failure's innermost cause.
    throw new BackfillError('ConfigurationError', `staging.uri ${location.uri} is not writable: ${reason}`);
  }
}

class DirectoryLocation implements StagingLocation {
  constructor(readonly uri: string) {}

  describe(key: string): string {
    return path.join(this.uri, key);
  }

  private path(key: string): string {
    const root = path.resolve(this.uri);
    const full = path.resolve(root, key);
    if (full !== root && !full.startsWith(root + path.sep))
      throw new Error(`staging key escapes the location: ${key}`);
    return full;
  }

  private async atomically(key: string, write: (tmp: string) => Promise<void>): Promise<void> {
    const target = this.path(key);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${randomUUID()}.tmp`;
    try {
      await write(tmp);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  putFile(key: string, localFile: string): Promise<void> {
    return this.atomically(key, (tmp) => copyFile(localFile, tmp));
  }

  putText(key: string, text: string): Promise<void> {
    return this.atomically(key, (tmp) => writeFile(tmp, text));
  }

  putWritten(key: string, _workDir: string, write: (localFile: string) => Promise<void>): Promise<void> {
    return this.atomically(key, write);
  }

  async getText(key: string): Promise<string | undefined> {
    try {
      return await readFile(this.path(key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async fetchFile(key: string): Promise<string> {
    const file = this.path(key);
    await stat(file);
    return file;
  }

  async list(prefix: string): Promise<string[]> {
    const dir = this.path(prefix);
    let entries: string[];
    try {
      entries = await readdir(dir, { recursive: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return [];
      // The prefix names one file (a key, not a folder).
      if (code === 'ENOTDIR') return [prefix];
      throw err;
    }
    const root = path.resolve(this.uri);
    const keys: string[] = [];
    for (const entry of entries) {
      const full = path.join(dir, entry);
      if (entry.endsWith('.tmp') || !(await stat(full)).isFile()) continue;
      keys.push(path.relative(root, full).split(path.sep).join('/'));
    }
    return keys.sort();
  }

  async remove(prefix: string): Promise<number> {
    const keys = await this.list(prefix);
    await rm(this.path(prefix), { recursive: true, force: true });
    return keys.length;
  }
}

class S3Location implements StagingLocation {
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(
    readonly uri: string,
    private readonly client: S3Client,
  ) {
    ({ bucket: this.bucket, prefix: this.prefix } = parseS3Uri(uri));
  }

  describe(key: string): string {
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }

  private async send<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw classifyS3Error(err, what);
    }
  }

  async putFile(key: string, localFile: string): Promise<void> {
    const { size } = await stat(localFile);
    // One PUT is atomic: a reader sees the whole object or none (objects up to 5 GiB, far above a shard's Parquet).
    await this.send(`writing ${this.describe(key)}`, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.prefix + key,
          Body: createReadStream(localFile),
          ContentLength: size,
        }),
      ),
    );
  }

  async putWritten(key: string, workDir: string, write: (localFile: string) => Promise<void>): Promise<void> {
    const local = path.join(workDir, `${randomUUID()}.upload`);
    try {
      await write(local);
      await this.putFile(key, local);
    } finally {
      await rm(local, { force: true });
    }
  }

  async putText(key: string, text: string): Promise<void> {
    await this.send(`writing ${this.describe(key)}`, () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: text })),
    );
  }

  async getText(key: string): Promise<string | undefined> {
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }),
      );
      return await response.Body!.transformToString('utf8');
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey') return undefined;
      throw classifyS3Error(err, `reading ${this.describe(key)}`);
    }
  }

  async fetchFile(key: string, workDir: string, signal?: AbortSignal): Promise<string> {
    const local = path.join(workDir, key.replaceAll('/', '__'));
    await this.send(`downloading ${this.describe(key)}`, async () => {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }),
        signal ? { abortSignal: signal } : {},
      );
      await pipeline(response.Body as Readable, createWriteStream(local), signal ? { signal } : {});
    });
    return local;
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    await this.send(`listing ${this.describe(prefix)}`, async () => {
      for await (const page of paginateListObjectsV2(
        { client: this.client },
        { Bucket: this.bucket, Prefix: this.prefix + prefix },
      ))
        for (const object of page.Contents ?? [])
          if (object.Key) keys.push(object.Key.slice(this.prefix.length));
    });
    return keys.sort();
  }

  async remove(prefix: string): Promise<number> {
    const keys = await this.list(prefix);
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      await this.send(`deleting under ${this.describe(prefix)}`, () =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: chunk.map((k) => ({ Key: this.prefix + k })), Quiet: true },
          }),
        ),
      );
    }
    return keys.length;
  }
}
