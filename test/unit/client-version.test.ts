import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client/client';
import { VERSION_HEADER } from '../../src/core/api/headers';
import { resolvePaths, type Paths } from '../../src/core/paths';

let dir: string;
let paths: Paths;
let server: http.Server | undefined;
let requests: string[];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-'));
  paths = resolvePaths({ socket: path.join(dir, 's.sock'), env: { CODEPIPER_HOME: path.join(dir, 'home') } });
  requests = [];
});

afterEach(async () => {
  vi.restoreAllMocks();
  if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A daemon stand-in answering every request with a health answer, and the version header when given one. */
async function serve(version: string | undefined): Promise<void> {
  server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json', ...(version === undefined ? {} : { [VERSION_HEADER]: version }) });
    res.end(JSON.stringify({ status: 'ok', version: version ?? 'unknown', uptime: 1 }));
  });
  const listening = server;
  await new Promise<void>((resolve) => listening.listen(paths.socket, resolve));
}

// The restart itself (shutdown, wait, start) runs against real daemons in test/integration/daemon-upgrade.test.ts.
describe('the version check of the client', () => {
  it('leaves a daemon of another version alone when the client may not start one', async () => {
    await serve('0.0.1-other');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const answer = await createClient({ paths, autostart: false }).call('health');
    expect(answer.version).toBe('0.0.1-other');
    expect(requests).toEqual(['GET /health']);
    expect(stderr).not.toHaveBeenCalled();
  });

  it('leaves alone a daemon that does not say its version (older than the header)', async () => {
    await serve(undefined);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const client = createClient({ paths, autostart: true });
    await client.call('health');
    await client.call('providers.list');
    expect(requests).toEqual(['GET /health', 'GET /providers']);
    expect(stderr).not.toHaveBeenCalled();
  });
});
