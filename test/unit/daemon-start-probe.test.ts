import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { START_DEADLINE_MS, startDetachedDaemon } from '../../src/client/daemon-process';
import { isProcessAlive } from '../../src/core/discovery';
import { resolvePaths } from '../../src/core/paths';
import { waitFor } from '../helpers/wait';

/**
 * A stand-in for `codepiper daemon start`: it listens on the socket it is given at once, but keeps its first answers
 * waiting longer than one probe of the starting client waits (as a daemon busy re-adopting sessions on a loaded
 * machine does), then answers like a daemon.
 */
const SLOW_DAEMON = `
const http = require('node:http');
const socket = process.argv[process.argv.indexOf('--socket') + 1];
let asked = 0;
http.createServer((req, res) => {
  const slow = ++asked <= 3;
  setTimeout(() => {
    res.setHeader('content-type', 'application/json');
    res.setHeader('x-codepiper-version', '0.0.0-stand-in');
    res.end(JSON.stringify({ status: 'ok', version: '0.0.0-stand-in', uptime: 0 }));
  }, slow ? 1500 : 0);
}).listen(socket);
setTimeout(() => process.exit(0), 60000); // never outlives a test that lost track of it
`;

let dir: string;
let pid: number | undefined;
const entry = process.argv[1]!;

afterEach(async () => {
  process.argv[1] = entry;
  if (pid !== undefined && isProcessAlive(pid)) {
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isProcessAlive(pid!), { what: 'the stand-in daemon to exit' });
  }
  pid = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('startDetachedDaemon', () => {
  it('keeps probing a daemon whose first answers are slow, within its deadline', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpu-'));
    const standIn = path.join(dir, 'slow-daemon.cjs');
    fs.writeFileSync(standIn, SLOW_DAEMON);
    const paths = resolvePaths({ env: { CODEPIPER_HOME: path.join(dir, 'home'), CODEPIPER_SOCKET: path.join(dir, 'd.sock') } });
    process.argv[1] = standIn; // what startDetachedDaemon runs as `<entry> daemon start --socket …`
    const started = Date.now();
    const result = await startDetachedDaemon(paths);
    pid = result.pid;
    expect(pid).toBeGreaterThan(0);
    expect(Date.now() - started).toBeGreaterThan(1000); // it did meet the slow answers
    expect(Date.now() - started).toBeLessThan(START_DEADLINE_MS);
  });
});
