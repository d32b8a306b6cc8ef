import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, modeOf, type Harness } from '../helpers/harness';

let harness: Harness;
afterEach(async () => {
  await harness?.cleanup();
});

/** The harness's world with the socket in its default place, `$XDG_RUNTIME_DIR/codepiper/`. */
function runtimeDirWorld(): { env: NodeJS.ProcessEnv; socketDir: string } {
  harness = createHarness();
  const runtime = path.join(harness.dir, 'run');
  fs.mkdirSync(runtime, { mode: 0o700 });
  const env: NodeJS.ProcessEnv = { ...harness.env, XDG_RUNTIME_DIR: runtime };
  delete env.CODEPIPER_SOCKET;
  return { env, socketDir: path.join(runtime, 'codepiper') };
}

describe('the default socket directory on every start path', () => {
  for (const how of [['providers'], ['daemon', 'start', '--detach']]) {
    it(`is tightened to 0700 when it was left 0777 (${how.join(' ')})`, async () => {
      const { env, socketDir } = runtimeDirWorld();
      fs.mkdirSync(socketDir);
      fs.chmodSync(socketDir, 0o777);
      const result = await harness.run(how, { env });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(modeOf(socketDir)).toBe(0o700);
      expect(fs.statSync(socketDir).uid).toBe(process.getuid!());
    });
  }

  it.runIf(process.getuid?.() === 0)('is refused, at once and by name, when it belongs to another user', async () => {
    const { env, socketDir } = runtimeDirWorld();
    fs.mkdirSync(socketDir, { mode: 0o700 });
    fs.chownSync(socketDir, 65534, 65534);
    const started = Date.now();
    const result = await harness.run(['providers'], { env });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.code).toBe(6);
    expect(result.stderr).toMatch(new RegExp(`^codepiper: ${socketDir} belongs to uid 65534, not to you`));
    expect(fs.readdirSync(socketDir)).toEqual([]); // no socket was made in it
  });
});

describe('something other than a socket at the socket path', () => {
  /** Runs a command that would start the daemon; it must fail at once, exit 5, and name what is at the path. */
  async function refusedAtOnce(args: string[], what: RegExp): Promise<void> {
    const started = Date.now();
    const result = await harness.run(args);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(new RegExp(`^codepiper: ${harness.socket} is ${what.source}; remove it`));
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  }

  it('a regular file', async () => {
    harness = createHarness();
    fs.writeFileSync(harness.socket, 'not a socket');
    await refusedAtOnce(['providers'], /a regular file, not a socket/);
    await refusedAtOnce(['daemon', 'start', '--detach'], /a regular file, not a socket/);
    expect(fs.readFileSync(harness.socket, 'utf8')).toBe('not a socket'); // left as it was
  });

  it('a dangling symbolic link', async () => {
    harness = createHarness();
    fs.symlinkSync(path.join(harness.dir, 'nowhere.sock'), harness.socket);
    await refusedAtOnce(['providers'], /a symbolic link \(to .*nowhere\.sock\), not the daemon's socket/);
  });

  it('a live server that is not CodePiper, on the socket itself', async () => {
    harness = createHarness();
    const foreign = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
    await new Promise<void>((resolve) => foreign.listen(harness.socket, resolve));
    try {
      for (const args of [['sessions'], ['library', 'list'], ['daemon', 'start', '--detach']]) {
        const result = await harness.run(args);
        expect(result.code, args.join(' ')).toBe(5);
        expect(result.stderr).toBe(`codepiper: what answers on ${harness.socket} is not a CodePiper daemon (GET /health is not its answer); stop it, or choose another socket with CODEPIPER_SOCKET or --socket\n`);
      }
    } finally {
      await new Promise((resolve) => foreign.close(resolve));
    }
  });

  it('a symbolic link to a live server that is not CodePiper', async () => {
    harness = createHarness();
    const foreign = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
    const foreignSocket = path.join(harness.dir, 'foreign.sock');
    await new Promise<void>((resolve) => foreign.listen(foreignSocket, resolve));
    try {
      fs.symlinkSync(foreignSocket, harness.socket);
      await refusedAtOnce(['providers'], /a symbolic link \(to .*foreign\.sock\), not the daemon's socket/);
      await refusedAtOnce(['daemon', 'start', '--detach'], /a symbolic link \(to .*foreign\.sock\), not the daemon's socket/);
      await refusedAtOnce(['sessions'], /a symbolic link \(to .*foreign\.sock\), not the daemon's socket/);
    } finally {
      await new Promise((resolve) => foreign.close(resolve));
    }
  });
});
