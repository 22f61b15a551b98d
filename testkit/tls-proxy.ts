/**
 * TLS in front of a plaintext dev server, as a cloud or company cluster puts it: a CA, a server
 * certificate for localhost and a client certificate made with openssl, and a TLS-terminating proxy
 * (ALPN h2, client certificates required and checked against the CA) that pipes to the dev server.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import path from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import http2 from 'node:http2';

export interface TestCertificates {
  ca: string;
  clientCert: string;
  clientKey: string;
  serverCert: string;
  serverKey: string;
}

/** Writes a CA, a server certificate (localhost, 127.0.0.1) and a client certificate into dir. */
export function makeCertificates(dir: string, clientName = 'backfill-worker'): TestCertificates {
  const file = (name: string) => path.join(dir, name);
  writeFileSync(
    file('ext.cnf'),
    '[server]\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n[client]\nextendedKeyUsage=clientAuth\n',
  );
  const openssl = (...args: string[]) => {
    try {
      execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      throw new Error(`openssl ${args[0]} failed (the TLS suite needs the openssl command): ${String(err)}`);
    }
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=backfill-test-ca',
  );
  for (const [name, subject] of [
    ['server', 'localhost'],
    ['client', clientName],
  ] as const) {
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${subject}`);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
      '-extensions',
      name,
    );
  }
  return {
    ca: file('ca.crt'),
    clientCert: file('client.crt'),
    clientKey: file('client.key'),
    serverCert: file('server.crt'),
    serverKey: file('server.key'),
  };
}

export interface MtlsProxy {
  address: string;
  /** Common names of the client certificates of accepted connections. */
  clients: string[];
  /** Handshakes refused (no or untrusted client certificate, or no TLS at all). */
  refused: () => number;
  close: () => Promise<void>;
}

export async function startMtlsProxy(upstream: string, certs: TestCertificates): Promise<MtlsProxy> {
  const [host, port] = upstream.split(':');
  const clients: string[] = [];
  let refused = 0;
  const sockets = new Set<TLSSocket>();
  const server = createServer(
    {
      key: readFileSync(certs.serverKey),
      cert: readFileSync(certs.serverCert),
      ca: readFileSync(certs.ca),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (socket) => {
      sockets.add(socket);
      clients.push(String(socket.getPeerCertificate().subject?.CN));
      const backend = connect(Number(port), host);
      socket.pipe(backend).pipe(socket);
      const close = () => {
        socket.destroy();
        backend.destroy();
        sockets.delete(socket);
      };
      socket.on('error', close).on('close', close);
      backend.on('error', close).on('close', close);
    },
  );
  server.on('tlsClientError', () => refused++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    clients,
    refused: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface ApiKeyProxy {
  address: string;
  /** Requests forwarded (a valid bearer token) and refused (missing or wrong). */
  forwarded: () => number;
  refused: () => number;
  close: () => Promise<void>;
}

/**
 * A gRPC gateway as Temporal Cloud fronts a namespace: TLS, and every request must carry
 * `authorization: Bearer <apiKey>`; valid ones are forwarded over h2c to the dev server, others get
 * UNAUTHENTICATED (16) without reaching it.
 */
export async function startApiKeyProxy(
  upstream: string,
  certs: TestCertificates,
  apiKey: string,
): Promise<ApiKeyProxy> {
  let forwarded = 0;
  let refused = 0;
  const backend = http2.connect(`http://${upstream}`);
  backend.on('error', () => undefined);
  const server = http2.createSecureServer({
    key: readFileSync(certs.serverKey),
    cert: readFileSync(certs.serverCert),
    ALPNProtocols: ['h2'],
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => undefined);
    if (headers.authorization !== `Bearer ${apiKey}`) {
      refused++;
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': '16',
          'grpc-message': 'bad api key',
        },
        { endStream: true },
      );
      return;
    }
    forwarded++;
    const forward: http2.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(headers)) {
      if (name === ':authority' || name === ':scheme' || name === 'authorization') continue;
      forward[name] = value;
    }
    const request = backend.request(forward);
    request.on('error', () => stream.destroy());
    let trailers: http2.IncomingHttpHeaders = {};
    request.on('response', (response) => {
      const { ':status': status, ...rest } = response;
      // A trailers-only response (an immediate gRPC error) ends with its headers.
      if ('grpc-status' in rest) stream.respond({ ':status': status, ...rest }, { endStream: true });
      else {
        stream.respond({ ':status': status, ...rest }, { waitForTrailers: true });
        request.pipe(stream);
      }
    });
    request.on('trailers', (t: http2.IncomingHttpHeaders) => {
      trailers = t;
    });
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.pipe(request);
    stream.on('close', () => request.close());
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    forwarded: () => forwarded,
    refused: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        // Long polls keep sessions open, which close() would wait for.
        for (const session of sessions) session.destroy();
        backend.destroy();
        server.close(() => resolve());
      }),
  };
}
