import fs from 'node:fs';
import type { CodepiperConfig } from '../../core/config';
import { AppError } from '../../core/errors';
import { isLoopback } from './guards';

export const DEFAULT_WEB_HOST = '127.0.0.1';
export const DEFAULT_WEB_PORT = 4321;
const DEFAULT_BURST = 120;
const DEFAULT_PER_SECOND = 20;

/** What `codepiper daemon start` was given on its command line; each wins over config.json's `web`. */
export interface WebFlags {
  web?: boolean | undefined;
  host?: string | undefined;
  port?: number | undefined;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  insecureHttp?: boolean | undefined;
}

/** The listener's settings, resolved and checked. */
export interface WebOptions {
  host: string;
  port: number;
  tls: { cert: Buffer; key: Buffer; certFile: string; keyFile: string } | undefined;
  allowedOrigins: string[];
  allowedHosts: string[];
  trustProxy: boolean;
  insecureHttp: boolean;
  rateLimit: { burst: number; perSecond: number };
}

/**
 * The listener's settings from the flags over config.json, or undefined when --web is off. Refuses what would be
 * unsafe or cannot work, each with the fix: a certificate without its key, unreadable files, and plain HTTP on an
 * address other machines reach.
 */
export function resolveWebOptions(config: CodepiperConfig['web'], flags: WebFlags = {}): WebOptions | undefined {
  const enabled = flags.web ?? config?.enabled ?? false;
  if (!enabled) return undefined;
  const host = flags.host ?? config?.host ?? DEFAULT_WEB_HOST;
  const port = flags.port ?? config?.port ?? DEFAULT_WEB_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new AppError('WEB_INSECURE', `--port must be a whole number from 0 to 65535, got ${port}`);
  const certFile = flags.tlsCert ?? config?.tls?.cert;
  const keyFile = flags.tlsKey ?? config?.tls?.key;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new AppError('WEB_INSECURE', `TLS needs both a certificate and its key: give ${certFile === undefined ? '--tls-cert' : '--tls-key'} too`);
  }
  const tls = certFile !== undefined && keyFile !== undefined ? { cert: readPem(certFile, 'certificate'), key: readPem(keyFile, 'private key'), certFile, keyFile } : undefined;
  const insecureHttp = flags.insecureHttp ?? config?.insecureHttp ?? false;
  if (!tls && !isLoopback(host) && !insecureHttp) {
    throw new AppError(
      'WEB_INSECURE',
      `refusing to serve plain HTTP on ${host}: passwords, cookies and tokens would cross the network readable by anyone on the path. ` +
        'Give a certificate (--tls-cert FILE --tls-key FILE), or keep --host 127.0.0.1 behind a reverse proxy that terminates TLS ' +
        '(and set web.trustProxy), or accept the risk with --insecure-http',
      { details: { host } },
    );
  }
  return {
    host,
    port,
    tls,
    allowedOrigins: config?.allowedOrigins ?? [],
    allowedHosts: config?.allowedHosts ?? [],
    trustProxy: config?.trustProxy ?? false,
    insecureHttp,
    rateLimit: { burst: config?.rateLimit?.burst ?? DEFAULT_BURST, perSecond: config?.rateLimit?.perSecond ?? DEFAULT_PER_SECOND },
  };
}

function readPem(file: string, what: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new AppError('WEB_INSECURE', `cannot read the TLS ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { details: { file } });
  }
  if (!bytes.toString('latin1').includes('-----BEGIN ')) throw new AppError('WEB_INSECURE', `the TLS ${what} ${file} is not a PEM file (no "-----BEGIN" line)`, { details: { file } });
  return bytes;
}
