/**
 * The two servers a DuckLake needs on this machine: a real PostgreSQL (the catalog) and a real
 * MinIO (the data, in one bucket). Every lake suite, the lake demo and the lake benchmark start them
 * here, so the worker environment and the reader's access are spelled out once.
 */
import { openLakeReader, type LakeAccess, type LakeReader } from './ducklake-reader';
import { startMinio, type Minio } from './minio-server';
import { startPostgres, type Postgres } from './postgres-server';

/** Where one lake lives: its catalog database and its data path (a spec's ducklake target fields). */
export interface LakeLocation {
  catalog: string;
  dataPath: string;
}

export interface LakeServers {
  pg: Postgres;
  minio: Minio;
  /** The bucket lake data paths go under. */
  bucket: string;
  /** What a worker (or `backfill query`) needs to reach a lake: PGPASSWORD and the AWS keys. */
  lakeEnv: () => Record<string, string>;
  /** A fresh lake: its own catalog database and data path `s3://<bucket>/<name>/`. */
  newLake: (name: string) => LakeLocation;
  /** How a reader in this process reaches the lake (the same credentials as a worker's). */
  access: (lake: LakeLocation) => LakeAccess;
  /** Runs one query on the lake with a reader of its own (attached read-only), then closes it. */
  read: <T = Record<string, unknown>>(lake: LakeLocation, sql: string) => Promise<T[]>;
  /** Opens a reader the caller closes, for several queries. */
  reader: (lake: LakeLocation) => Promise<LakeReader>;
  /** Every object under the lake's data path, as s3:// URLs. */
  dataFiles: (lake: LakeLocation) => Promise<string[]>;
  stop: () => Promise<void>;
}

export async function startLakeServers(bucket = 'lake'): Promise<LakeServers> {
  const [pg, minio] = await Promise.all([startPostgres(), startMinio()]);
  await minio.createBucket(bucket);
  const access = (lake: LakeLocation): LakeAccess => ({
    catalog: lake.catalog,
    dataPath: lake.dataPath,
    s3: { endpoint: minio.endpoint, accessKey: minio.accessKey, secretKey: minio.secretKey },
    pgPassword: pg.password,
  });
  const reader = (lake: LakeLocation) => openLakeReader(access(lake));
  return {
    pg,
    minio,
    bucket,
    lakeEnv: () => ({
      PGPASSWORD: pg.password,
      AWS_ACCESS_KEY_ID: minio.accessKey,
      AWS_SECRET_ACCESS_KEY: minio.secretKey,
    }),
    newLake: (name) => ({
      catalog: `postgres:${pg.createDatabase(name)}`,
      dataPath: `s3://${bucket}/${name}/`,
    }),
    access,
    reader,
    async read<T>(lake: LakeLocation, sql: string) {
      const r = await reader(lake);
      try {
        return await r.query<T>(sql);
      } finally {
        r.close();
      }
    },
    async dataFiles(lake) {
      const prefix = `s3://${bucket}/`;
      if (!lake.dataPath.startsWith(prefix)) throw new Error(`${lake.dataPath} is not under ${prefix}`);
      return (await minio.listKeys(bucket, lake.dataPath.slice(prefix.length))).map((k) => `${prefix}${k}`);
    },
    async stop() {
      pg.stop();
      await minio.stop();
    },
  };
}
