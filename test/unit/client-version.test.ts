import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { compareVersions, createClient } from '../../src/client/client';
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
  // The check is made once per process: each test starts a process's worth of it afresh.
  delete (globalThis as Record<symbol, unknown>)[Symbol.for('codepiper.client.versionCheck')];
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

  it('leaves a newer daemon running, with a word, rather than start older code on its database', async () => {
    await serve('99.0.0');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const client = createClient({ paths, autostart: true });
    expect((await client.call('health')).version).toBe('99.0.0');
    await client.call('providers.list');
    expect(requests).toEqual(['GET /health', 'GET /providers']);
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(String(stderr.mock.calls[0]![0])).toMatch(/the running daemon is version 99\.0\.0, not this codepiper's .*; leaving it running/);
  });
});

describe('compareVersions', () => {
  it('orders major.minor.patch numerically, a pre-release before its release', () => {
    expect(compareVersions('0.1.0', '0.1.0')).toBe(0);
    expect(compareVersions('0.0.1-old', '0.1.0')).toBe(-1);
    expect(compareVersions('0.10.0', '0.9.9')).toBe(1);
    expect(compareVersions('1.0.0-rc.1', '1.0.0')).toBe(-1);
    expect(compareVersions('1.0.0', '1.0.0-rc.1')).toBe(1);
    expect(compareVersions('0.0.0-dev', '0.1.0')).toBe(-1);
    expect(compareVersions('1.2.3+build.5', '1.2.3')).toBe(0);
    expect(compareVersions('unknown', '0.1.0')).toBeUndefined();
  });
});
