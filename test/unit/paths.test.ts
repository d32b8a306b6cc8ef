import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../src/core/errors';
import { checkSocketPath, ensurePrivateDir, MAX_SOCKET_PATH_BYTES, resolvePaths } from '../../src/core/paths';

describe('resolvePaths', () => {
  it('defaults to ~/.codepiper with the socket inside when there is no runtime dir', () => {
    const paths = resolvePaths({ env: {} });
    expect(paths.home).toBe(path.join(os.homedir(), '.codepiper'));
    expect(paths.socket).toBe(path.join(paths.home, 'daemon.sock'));
    expect(paths.socketDirIsOwn).toBe(true);
    expect(paths.tmuxSocketName).toBe('codepiper');
    expect(paths.database).toBe(path.join(paths.home, 'codepiper.db'));
    expect(paths.discovery).toBe(path.join(paths.home, 'daemon.json'));
  });

  it('puts the socket under XDG_RUNTIME_DIR, with a per-home name for a non-default home', () => {
    const base = resolvePaths({ env: { XDG_RUNTIME_DIR: '/run/user/1000' } });
    expect(base.socket).toBe('/run/user/1000/codepiper/daemon.sock');
    const other = resolvePaths({ env: { XDG_RUNTIME_DIR: '/run/user/1000', CODEPIPER_HOME: '/srv/cp-a' } });
    const third = resolvePaths({ env: { XDG_RUNTIME_DIR: '/run/user/1000', CODEPIPER_HOME: '/srv/cp-b' } });
    expect(other.socket).toMatch(/^\/run\/user\/1000\/codepiper\/daemon-[0-9a-f]{8}\.sock$/);
    expect(other.socket).not.toBe(third.socket);
    expect(resolvePaths({ env: { XDG_RUNTIME_DIR: 'relative/dir' } }).socket).toBe(path.join(os.homedir(), '.codepiper', 'daemon.sock'));
  });

  it('lets --socket win over CODEPIPER_SOCKET, which wins over the defaults', () => {
    const env = { CODEPIPER_SOCKET: '/tmp/env.sock', CODEPIPER_HOME: 'relative-home', XDG_RUNTIME_DIR: '/run/user/1' };
    expect(resolvePaths({ env }).socket).toBe('/tmp/env.sock');
    expect(resolvePaths({ env, socket: '/tmp/flag.sock' }).socket).toBe('/tmp/flag.sock');
    expect(resolvePaths({ env }).socketDirIsOwn).toBe(false);
    expect(resolvePaths({ env }).home).toBe(path.resolve('relative-home'));
  });

  it('takes the tmux socket name from CODEPIPER_TMUX_SOCKET and refuses a path there', () => {
    expect(resolvePaths({ env: { CODEPIPER_TMUX_SOCKET: 'cp-test-1' } }).tmuxSocketName).toBe('cp-test-1');
    expect(() => resolvePaths({ env: { CODEPIPER_TMUX_SOCKET: '/tmp/x' } })).toThrow(/socket name for tmux -L, not a path/);
  });
});

describe('checkSocketPath', () => {
  it('accepts a path at the limit and refuses one byte more, naming the fix', () => {
    const at = '/' + 'a'.repeat(MAX_SOCKET_PATH_BYTES - 1);
    expect(() => checkSocketPath(at)).not.toThrow();
    let caught: unknown;
    try {
      checkSocketPath(at + 'b');
    } catch (error) {
      caught = error;
    }
    expect(isAppError(caught) && caught.code).toBe('SOCKET_PATH_TOO_LONG');
    expect((caught as Error).message).toContain('set CODEPIPER_SOCKET');
  });

  it('counts bytes, not characters', () => {
    expect(() => checkSocketPath('/' + 'é'.repeat(60))).toThrow(/121 bytes/);
  });
});

describe('ensurePrivateDir', () => {
  it('creates missing directories 0700 and tightens an existing one', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-paths-'));
    try {
      const nested = path.join(root, 'a', 'b');
      ensurePrivateDir(nested);
      expect(fs.statSync(nested).mode & 0o777).toBe(0o700);
      fs.chmodSync(nested, 0o755);
      ensurePrivateDir(nested);
      expect(fs.statSync(nested).mode & 0o777).toBe(0o700);
      const file = path.join(root, 'file');
      fs.writeFileSync(file, '');
      expect(() => ensurePrivateDir(file)).toThrow();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('socketDirIsOwn', () => {
  it('depends on where the socket is, not on how it was named', () => {
    const env = { XDG_RUNTIME_DIR: '/run/user/1000' };
    const implied = resolvePaths({ env });
    expect(implied.socketDirIsOwn).toBe(true);
    // the detached daemon is started with --socket naming the default path: its directory is still ours to check
    expect(resolvePaths({ env, socket: implied.socket }).socketDirIsOwn).toBe(true);
    expect(resolvePaths({ env: { ...env, CODEPIPER_SOCKET: implied.socket } }).socketDirIsOwn).toBe(true);
    expect(resolvePaths({ env, socket: '/tmp/mine/d.sock' }).socketDirIsOwn).toBe(false);
  });
});
