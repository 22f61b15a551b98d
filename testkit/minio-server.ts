/** A real MinIO server for the S3 suites: the pinned binary, on a loopback port, with random credentials. */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, paginateListObjectsV2, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ensureTool } from '../client/tools';
import { tempDir } from './fixtures';
import { freePort } from './ports';
import { stopChild } from './processes';
import { waitFor } from './wait';

export interface Minio {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  client: S3Client;
  createBucket: (name: string) => Promise<void>;
  putObject: (bucket: string, key: string, body: Buffer | string) => Promise<void>;
  /** Every object key under a prefix of a bucket. */
  listKeys: (bucket: string, prefix: string) => Promise<string[]>;
  /** Uploads a local directory tree under a prefix; returns how many objects. */
  uploadDir: (bucket: string, prefix: string, dir: string) => Promise<number>;
  /** Stops the server but keeps its data: an outage. */
  halt: () => Promise<void>;
  /** Starts it again on the same port, data and credentials. */
  resume: () => Promise<void>;
  stop: () => Promise<void>;
}

export async function startMinio(): Promise<Minio> {
  const binary = ensureTool('minio');
  if (!binary) throw new Error('no minio binary and no Go to build it');
  const [port, consolePort] = [await freePort(), await freePort()];
  const accessKey = `minio${randomBytes(4).toString('hex')}`;
  const secretKey = randomBytes(18).toString('hex');
  const dataDir = tempDir('minio-');
  const endpoint = `http://127.0.0.1:${port}`;
  let server: { kill: (signal: NodeJS.Signals) => void; exited: Promise<void> } | undefined;

  // Same data dir, port and credentials on every start, so a restart is an outage, not a new store.
  const launch = async () => {
    const child = spawn(
      binary,
      [
        'server',
        dataDir,
        '--address',
        `127.0.0.1:${port}`,
        '--console-address',
        `127.0.0.1:${consolePort}`,
        '--quiet',
      ],
      {
        env: {
          ...process.env,
          MINIO_ROOT_USER: accessKey,
          MINIO_ROOT_PASSWORD: secretKey,
          MINIO_BROWSER: 'off',
          MINIO_UPDATE: 'off',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    server = { kill: (signal) => child.kill(signal), exited };
    await waitFor(
      'MinIO to be live',
      async () => (await fetch(`${endpoint}/minio/health/live`).catch(() => undefined))?.ok,
      60_000,
    );
  };
  const halt = async () => {
    const running = server;
    server = undefined;
    if (running) await stopChild(running, 'SIGTERM', 5000);
  };

  await launch();
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: accessKey, secretAccessKey: secretKey },
  });
  const putObject = async (bucket: string, key: string, body: Buffer | string) => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  };
  return {
    endpoint,
    accessKey,
    secretKey,
    client,
    createBucket: async (name) => {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    putObject,
    async listKeys(bucket, prefix) {
      const keys: string[] = [];
      for await (const page of paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: prefix }))
        keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      return keys;
    },
    async uploadDir(bucket, prefix, dir) {
      const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) =>
        statSync(path.join(dir, f)).isFile(),
      );
      for (const file of files)
        await putObject(
          bucket,
          `${prefix}${file.split(path.sep).join('/')}`,
          readFileSync(path.join(dir, file)),
        );
      return files.length;
    },
    halt,
    resume: launch,
    async stop() {
      client.destroy();
      await halt();
    },
  };
}
