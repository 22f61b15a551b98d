/** What reaches the Temporal SDK's connections from the config: address, TLS/mTLS, API key. */
import { readFileSync } from 'node:fs';
import type { Config } from './config';
import { ConfigError } from './config';

export interface TemporalConnectionOptions {
  address: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  apiKey?: string;
}

function readPem(file: string, variable: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError(
      `${variable}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
}

export function connectionOptions(config: Config): TemporalConnectionOptions {
  const options: TemporalConnectionOptions = { address: config.TEMPORAL_ADDRESS };
  const wantsTls = Boolean(
    config.TEMPORAL_TLS_CA ||
    config.TEMPORAL_TLS_CERT ||
    config.TEMPORAL_API_KEY ||
    config.TEMPORAL_TLS_SERVER_NAME,
  );
  if (wantsTls) {
    options.tls = {};
    if (config.TEMPORAL_TLS_SERVER_NAME) options.tls.serverNameOverride = config.TEMPORAL_TLS_SERVER_NAME;
    if (config.TEMPORAL_TLS_CA)
      options.tls.serverRootCACertificate = readPem(config.TEMPORAL_TLS_CA, 'TEMPORAL_TLS_CA');
    if (config.TEMPORAL_TLS_CERT && config.TEMPORAL_TLS_KEY) {
      options.tls.clientCertPair = {
        crt: readPem(config.TEMPORAL_TLS_CERT, 'TEMPORAL_TLS_CERT'),
        key: readPem(config.TEMPORAL_TLS_KEY, 'TEMPORAL_TLS_KEY'),
      };
    }
  }
  if (config.TEMPORAL_API_KEY) options.apiKey = config.TEMPORAL_API_KEY;
  return options;
}
