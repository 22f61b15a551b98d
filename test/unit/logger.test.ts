import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '../../worker/logger';

/** A real pino logger writing into memory; returns the JSON lines it wrote. */
function capture(log: (logger: ReturnType<typeof createLogger>) => void): string {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  log(createLogger({ level: 'trace', destination }));
  return chunks.join('');
}

describe('log redaction', () => {
  const secret = 'sEcReT-4711';

  it('censors credential fields at the top level and one level down', () => {
    const out = capture((logger) => {
      logger.info({ s3: { secretAccessKey: secret, accessKeyId: secret, sessionToken: secret } }, 'a');
      logger.info(
        { connection: { apiKey: secret, password: secret }, headers: { authorization: secret } },
        'b',
      );
      logger.info({ apiKey: secret, password: secret }, 'c');
      logger.child({ env: { AWS_SECRET_ACCESS_KEY: secret, TEMPORAL_API_KEY: secret } }).warn('d');
    });
    assert.equal(out.trim().split('\n').length, 4);
    assert.ok(!out.includes(secret), out);
    assert.match(out, /"secretAccessKey":"\[redacted\]"/);
  });

  it('masks user:password@ in messages, in errors and in their stacks', () => {
    const uri = `postgres://admin:${secret}@db.internal:5432/temporal`;
    const out = capture((logger) => {
      logger.info(`connecting to ${uri}`);
      logger.error({ err: new Error(`cannot reach ${uri}`) }, 'failed');
      logger.error(new Error(`cannot reach ${uri}`));
      logger.info({ endpoint: uri }, 'endpoint');
    });
    assert.ok(!out.includes(secret), out);
    // message; error message and stack; error message, stack and msg; field
    assert.equal(out.match(/postgres:\/\/\*\*\*:\*\*\*@db\.internal/g)?.length, 1 + 2 + 3 + 1, out);
  });
});
