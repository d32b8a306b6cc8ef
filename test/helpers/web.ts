import http from 'node:http';
import https from 'node:https';
import type { Client } from 'undici';
import type { Harness } from './harness';
import { daemonApi } from './daemon-api';

export interface WebResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- answers are checked by the tests themselves
}

/**
 * One request to a daemon's TCP listener with node:http, every header under the test's control (Host and Origin
 * included, which higher-level clients fill in themselves). `ca` trusts a test's own certificate.
 */
export function webRequest(
  url: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Buffer; ca?: Buffer; timeoutMs?: number } = {},
): Promise<WebResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(path, url);
    const transport = target.protocol === 'https:' ? https : http;
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = Buffer.byteLength(options.body);
    }
    const req = transport.request(target, { method, headers, agent: false, ...(options.ca ? { ca: options.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Starts the harness's daemon in the background with --web and the given flags; resolves the URL it serves. */
export async function startWebDaemon(harness: Harness, client: () => Client, flags: string[] = []): Promise<string> {
  const started = await harness.run(['daemon', 'start', '--detach', '--web', '--port', '0', ...flags]);
  if (started.code !== 0) throw new Error(`daemon start --web failed: ${started.stderr}`);
  const { api } = daemonApi(client);
  const status = await api('GET', '/web/status');
  if (!status.json?.url) throw new Error(`web.status has no url: ${JSON.stringify(status.json)}`);
  return status.json.url as string;
}

/** A new API token of `scope`, made over the socket as its owner would. */
export async function createToken(client: () => Client, name: string, scope: 'read' | 'write' | 'admin'): Promise<string> {
  const { api } = daemonApi(client);
  const created = await api('POST', '/tokens', { name, scope });
  if (created.status !== 200 || typeof created.json?.token !== 'string') throw new Error(`token create failed: ${JSON.stringify(created.json)}`);
  return created.json.token as string;
}
