import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../src/client/client';
import { resolvePaths } from '../../src/core/paths';
import { ROOT, createHarness, type Harness } from '../helpers/harness';
import { daemonApi } from '../helpers/daemon-api';
import { waitFor } from '../helpers/wait';

const FAKE_CLAUDE = path.join(ROOT, 'test/fixtures/fake-claude.cjs');
const FAKE_CODEX = path.join(ROOT, 'test/fixtures/fake-codex.cjs');
/** In a file outside the repository: it must never appear in any answer. */
const MARKER = 'OUTSIDE-MARKER-7d41c0';

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.invalid',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'author@example.invalid',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};

let harness: Harness;
let client: Client;
const { api, untilState, untilScreen } = daemonApi(() => client);

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } });
}

/** A repository with a commit: a.txt, sub/b.txt, a binary file, and links out of it (to a dir and to a file). */
function makeRepo(name: string): string {
  const repo = path.join(harness.dir, name);
  fs.mkdirSync(path.join(repo, 'sub'), { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(repo, 'a.txt'), 'original a\n');
  fs.writeFileSync(path.join(repo, 'sub', 'b.txt'), 'original b\n');
  fs.writeFileSync(path.join(repo, 'bin.dat'), Buffer.from([0, 1, 2, 3, 0, 255]));
  fs.writeFileSync(path.join(repo, 'page.html'), '<html><script>alert(1)</script></html>\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'first');
  return repo;
}

async function startSession(cwd: string, body: Record<string, unknown> = { provider: 'command', args: ['sleep', '600'] }): Promise<string> {
  const created = await api('POST', '/sessions', { cwd, ...body });
  expect(created.status, JSON.stringify(created.json)).toBe(200);
  return created.json.id as string;
}

const q = (value: string) => encodeURIComponent(value);

beforeAll(async () => {
  harness = createHarness();
  Object.assign(harness.env, GIT_ENV, { CODEPIPER_CLAUDE_BIN: FAKE_CLAUDE, CODEPIPER_CODEX_BIN: FAKE_CODEX });
  const started = await harness.run(['daemon', 'start', '--detach']);
  expect(started.code, started.stderr).toBe(0);
  client = new Client('http://localhost', { socketPath: harness.socket });
  const outside = path.join(harness.dir, 'outside');
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret.txt'), `${MARKER}\n`);
});

afterAll(async () => {
  await client?.close();
  await harness?.cleanup();
});

describe('review routes on a real repository', () => {
  let repo: string;
  let id: string;

  beforeAll(async () => {
    repo = makeRepo('repo');
    fs.symlinkSync(path.join(harness.dir, 'outside'), path.join(repo, 'escape'));
    fs.symlinkSync(path.join(harness.dir, 'outside', 'secret.txt'), path.join(repo, 'leak.txt'));
    fs.symlinkSync(path.join(harness.dir, 'outside', 'nothing-yet.txt'), path.join(repo, 'dangling.txt'));
    fs.symlinkSync('.git', path.join(repo, 'gitlink'));
    id = await startSession(repo);
  });

  it('status lists the branch, the head and every changed, staged and untracked file', async () => {
    fs.writeFileSync(path.join(repo, 'a.txt'), 'changed a\n');
    fs.writeFileSync(path.join(repo, 'new file.txt'), 'new\n');
    const { status, json } = await api('GET', `/sessions/${id}/git/status`);
    expect(status).toBe(200);
    expect(json).toMatchObject({ root: fs.realpathSync(repo), branch: 'main', head: git(repo, 'rev-parse', 'HEAD').trim(), upstream: null, clean: false });
    const byPath = Object.fromEntries(json.files.map((file: { path: string }) => [file.path, file]));
    expect(byPath['a.txt']).toMatchObject({ index: ' ', worktree: 'M', staged: false, unstaged: true, untracked: false });
    expect(byPath['new file.txt']).toMatchObject({ index: '?', untracked: true });
  });

  it('diff shows the worktree against the index, one path or all, and an untracked file asked for by name', async () => {
    const all = (await api('GET', `/sessions/${id}/git/diff`)).json;
    expect(all).toMatchObject({ compared: 'worktree against index', truncated: false, nextOffset: null, offset: 0, binaryFiles: [] });
    expect(all.text).toContain('-original a\n+changed a\n');
    const one = (await api('GET', `/sessions/${id}/git/diff?path=a.txt`)).json;
    expect(one.text).toContain('+changed a');
    const untracked = (await api('GET', `/sessions/${id}/git/diff?path=${q('new file.txt')}`)).json;
    expect(untracked.text).toContain('+new');
    expect(untracked.compared).toContain('untracked');
    const stat = (await api('GET', `/sessions/${id}/git/diff-stat`)).json;
    expect(stat).toEqual({ files: [{ path: 'a.txt', from: null, additions: 1, deletions: 1, binary: false }], additions: 1, deletions: 1 });
  });

  it('stage, staged diff, unstage', async () => {
    const staged = await api('POST', `/sessions/${id}/git/stage`, { paths: ['a.txt'] });
    expect(staged.status).toBe(200);
    expect(staged.json.files.find((file: { path: string }) => file.path === 'a.txt')).toMatchObject({ index: 'M', staged: true, unstaged: false });
    expect((await api('GET', `/sessions/${id}/git/diff?staged=1`)).json).toMatchObject({ compared: 'index against HEAD', text: expect.stringContaining('+changed a') });
    expect((await api('GET', `/sessions/${id}/git/diff`)).json.text).toBe('');
    const unstaged = await api('POST', `/sessions/${id}/git/unstage`, { paths: ['a.txt'] });
    expect(unstaged.json.files.find((file: { path: string }) => file.path === 'a.txt')).toMatchObject({ index: ' ', worktree: 'M' });
    const missing = await api('POST', `/sessions/${id}/git/stage`, { paths: ['no-such-file.txt'] });
    expect(missing.status).toBe(400);
    expect(missing.json.error.message).toContain('no-such-file.txt');
  });

  it('reports binary files as binary', async () => {
    fs.writeFileSync(path.join(repo, 'bin.dat'), Buffer.from([0, 9, 9, 9, 0, 254]));
    const diff = (await api('GET', `/sessions/${id}/git/diff`)).json;
    expect(diff.binaryFiles).toEqual(['bin.dat']);
    const stat = (await api('GET', `/sessions/${id}/git/diff-stat`)).json;
    expect(stat.files.find((file: { path: string }) => file.path === 'bin.dat')).toMatchObject({ binary: true, additions: 0, deletions: 0 });
    const file = (await api('GET', `/sessions/${id}/git/file?path=bin.dat`)).json;
    expect(file).toMatchObject({ exists: true, binary: true, text: null, size: 6 });
  });

  it('pages a large diff by bytes', async () => {
    const big = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'é'.repeat(10)}`).join('\n');
    fs.writeFileSync(path.join(repo, 'sub', 'b.txt'), `${big}\n`);
    let offset = 0;
    let text = '';
    let pages = 0;
    for (;;) {
      const page = (await api('GET', `/sessions/${id}/git/diff?path=sub/b.txt&limitBytes=20000&offset=${offset}`)).json;
      expect(Buffer.byteLength(page.text)).toBeLessThanOrEqual(20000);
      text += page.text;
      pages++;
      if (!page.truncated) {
        expect(page.nextOffset).toBeNull();
        expect(offset + Buffer.byteLength(page.text)).toBe(page.totalBytes);
        break;
      }
      expect(page.text.endsWith('\n')).toBe(true);
      offset = page.nextOffset;
    }
    expect(pages).toBeGreaterThan(5);
    expect(text).toBe(git(repo, '-c', 'core.quotePath=false', 'diff', '--no-color', '-M', '--', 'sub/b.txt'));
    git(repo, 'checkout', '--', 'sub/b.txt', 'bin.dat');
  });

  it('file reads HEAD, the index and the worktree; file-raw serves bytes with a safe content type', async () => {
    const head = (await api('GET', `/sessions/${id}/git/file?path=a.txt&at=head`)).json;
    expect(head).toMatchObject({ path: 'a.txt', at: 'head', exists: true, text: 'original a\n', binary: false, tooLarge: false });
    const work = (await api('GET', `/sessions/${id}/git/file?path=a.txt`)).json;
    expect(work.text).toBe('changed a\n');
    expect((await api('GET', `/sessions/${id}/git/file?path=none.txt`)).json).toMatchObject({ exists: false });

    const raw = await client.request({ method: 'GET', path: `/sessions/${id}/git/file-raw?path=bin.dat&at=head` });
    expect(raw.statusCode).toBe(200);
    expect(raw.headers['content-type']).toBe('application/octet-stream');
    expect(raw.headers['x-content-type-options']).toBe('nosniff');
    expect(String(raw.headers['content-disposition'])).toContain('attachment; filename="bin.dat"');
    expect(Buffer.from(await raw.body.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 3, 0, 255]));

    // The typed client hands the bytes back, with the type and name the daemon gave.
    const typed = await createClient({ paths: resolvePaths({ socket: harness.socket, env: harness.env }), autostart: false }).call('git.fileRaw', { id, path: 'bin.dat', at: 'head' });
    expect(typed).toEqual({ raw: true, contentType: 'application/octet-stream', bytes: Buffer.from([0, 1, 2, 3, 0, 255]), fileName: 'bin.dat', disposition: 'attachment' });

    const html = await client.request({ method: 'GET', path: `/sessions/${id}/git/file-raw?path=page.html` });
    expect(html.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(await html.body.text()).toContain('<script>');
  });

  it('file and file-raw refuse a file git ignores (a .env is no change to review), and still serve tracked and untracked ones', async () => {
    const secret = `ignored-secret-${Date.now()}`;
    fs.writeFileSync(path.join(repo, '.gitignore'), 'local.env\n');
    fs.writeFileSync(path.join(repo, 'local.env'), `TOKEN=${secret}\n`);
    for (const url of [`git/file?path=local.env`, `git/file-raw?path=local.env`]) {
      const response = await client.request({ method: 'GET', path: `/sessions/${id}/${url}` });
      const text = await response.body.text();
      expect(response.statusCode, text).toBe(403);
      expect(JSON.parse(text).error.code).toBe('PERMISSION_DENIED');
      expect(text).not.toContain(secret);
    }
    expect((await api('GET', `/sessions/${id}/git/file?path=.gitignore`)).json).toMatchObject({ exists: true, text: 'local.env\n' });
    expect((await api('GET', `/sessions/${id}/git/file?path=a.txt`)).status).toBe(200);
    fs.rmSync(path.join(repo, 'local.env'));
    fs.rmSync(path.join(repo, '.gitignore'));
  });

  it('log and branches', async () => {
    const log = (await api('GET', `/sessions/${id}/git/log?limit=5`)).json;
    expect(log.commits).toHaveLength(1);
    expect(log.commits[0]).toMatchObject({ subject: 'first', author: 'Test Author', email: 'author@example.invalid', hash: git(repo, 'rev-parse', 'HEAD').trim() });
    expect((await api('GET', `/sessions/${id}/git/log?path=a.txt`)).json.commits).toHaveLength(1);
    git(repo, 'branch', 'other');
    const branches = (await api('GET', `/sessions/${id}/git/branches`)).json;
    expect(branches.current).toBe('main');
    expect(branches.branches.map((branch: { name: string }) => branch.name)).toEqual(['main', 'other']);
  });

  it('commit: refuses an empty commit, commits what is staged, all=true stages tracked changes', async () => {
    const empty = await api('POST', `/sessions/${id}/git/commit`, { message: 'nothing' });
    expect(empty.status).toBe(409);
    expect(empty.json.error.code).toBe('NOTHING_TO_COMMIT');
    const done = await api('POST', `/sessions/${id}/git/commit`, { message: '-starts with a dash\n\nbody', all: true });
    expect(done.status, JSON.stringify(done.json)).toBe(200);
    expect(done.json.commit).toMatchObject({ subject: '-starts with a dash', author: 'Test Author' });
    expect(git(repo, 'log', '-1', '--format=%s')).toBe('-starts with a dash\n');
    expect(git(repo, 'show', 'HEAD:a.txt')).toBe('changed a\n');
    expect(done.json.status.files.map((file: { path: string }) => file.path)).toContain('new file.txt');
  });

  it('checkout: switches, creates, refuses to overwrite changes, names unknown refs', async () => {
    const created = await api('POST', `/sessions/${id}/git/checkout`, { ref: 'feature', create: true });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    expect(created.json.branch).toBe('feature');
    expect((await api('POST', `/sessions/${id}/git/checkout`, { ref: 'feature', create: true })).json.error.code).toBe('BRANCH_EXISTS');
    expect((await api('POST', `/sessions/${id}/git/checkout`, { ref: 'no-such-ref' })).json.error.code).toBe('GIT_REF_NOT_FOUND');
    // other is at the first commit, where a.txt differs: a change to a.txt would be lost
    fs.writeFileSync(path.join(repo, 'a.txt'), 'uncommitted a\n');
    const refused = await api('POST', `/sessions/${id}/git/checkout`, { ref: 'other' });
    expect(refused.status).toBe(409);
    expect(refused.json.error).toMatchObject({ code: 'WORKTREE_HAS_WORK' });
    expect(refused.json.error.message).toContain('a.txt');
    expect(fs.readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('uncommitted a\n');
    expect((await api('POST', `/sessions/${id}/git/checkout`, { ref: '--orphan' })).status).toBe(400);
  });

  it('discard restores a tracked file, deletes an untracked one, and is in the session events', async () => {
    const result = await api('POST', `/sessions/${id}/git/discard`, { paths: ['a.txt', 'new file.txt'] });
    expect(result.status, JSON.stringify(result.json)).toBe(200);
    expect(fs.readFileSync(path.join(repo, 'a.txt'), 'utf8')).toBe('changed a\n');
    expect(fs.existsSync(path.join(repo, 'new file.txt'))).toBe(false);
    const events = (await api('GET', `/sessions/${id}/events?limit=100`)).json.events;
    const discard = events.find((event: { type: string }) => event.type === 'git-discard');
    expect(discard).toMatchObject({ source: 'user', data: { paths: ['a.txt', 'new file.txt'], restored: ['a.txt'], deleted: ['new file.txt'] } });
    expect((await api('POST', `/sessions/${id}/git/discard`, { paths: ['a.txt'] })).status).toBe(400);
  });

  describe('every path that leaves the worktree is refused, and nothing is read', () => {
    const bad = ['../outside/secret.txt', '/etc/passwd', `${'x/'}../../outside/secret.txt`, 'escape/secret.txt', 'leak.txt', 'dangling.txt', 'a.txt\0', '.git/config', 'gitlink/config', 'sub/../../outside/secret.txt'];
    const routes: Array<{ method: 'GET' | 'POST'; route: string; request: (p: string) => { url: string; body?: unknown } }> = [
      { method: 'GET', route: 'git.diff', request: (p) => ({ url: `git/diff?path=${q(p)}` }) },
      { method: 'GET', route: 'git.log', request: (p) => ({ url: `git/log?path=${q(p)}` }) },
      { method: 'GET', route: 'git.file (worktree)', request: (p) => ({ url: `git/file?path=${q(p)}` }) },
      { method: 'GET', route: 'git.file (head)', request: (p) => ({ url: `git/file?path=${q(p)}&at=head` }) },
      { method: 'GET', route: 'git.fileRaw', request: (p) => ({ url: `git/file-raw?path=${q(p)}` }) },
      { method: 'GET', route: 'git.fileRaw (index)', request: (p) => ({ url: `git/file-raw?path=${q(p)}&at=index` }) },
      { method: 'POST', route: 'git.stage', request: (p) => ({ url: 'git/stage', body: { paths: ['a.txt', p] } }) },
      { method: 'POST', route: 'git.unstage', request: (p) => ({ url: 'git/unstage', body: { paths: [p] } }) },
      { method: 'POST', route: 'git.discard', request: (p) => ({ url: 'git/discard', body: { paths: [p] } }) },
    ];
    for (const { method, route, request } of routes) {
      it(`${route}: ../, absolute, symlinks out (dir, file, dangling), NUL, .git → 400`, async () => {
        const indexBefore = fs.readFileSync(path.join(repo, '.git', 'index'));
        for (const p of bad) {
          const { url, body } = request(p);
          const response = await client.request({
            method,
            path: `/sessions/${id}/${url}`,
            ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
          });
          const text = await response.body.text();
          expect(response.statusCode, `${route} ${JSON.stringify(p)}: ${text}`).toBe(400);
          expect(JSON.parse(text).error.code, `${route} ${JSON.stringify(p)}`).toBe('PATH_OUTSIDE_WORKTREE');
          expect(text).not.toContain(MARKER);
        }
        // Nothing staged, nothing discarded, no file made where the dangling link points.
        expect(fs.readFileSync(path.join(repo, '.git', 'index'))).toEqual(indexBefore);
        expect(fs.existsSync(path.join(harness.dir, 'outside', 'nothing-yet.txt'))).toBe(false);
        expect(fs.readFileSync(path.join(harness.dir, 'outside', 'secret.txt'), 'utf8')).toBe(`${MARKER}\n`);
      });
    }

    it('a path that looks like an option or pathspec magic is a file name, never more', async () => {
      fs.writeFileSync(path.join(repo, '--cached'), 'dash file\n');
      const dash = (await api('GET', `/sessions/${id}/git/diff?path=--cached`)).json;
      expect(dash.text).toContain('+dash file');
      for (const magic of [':(top)a.txt', ':!a.txt', '*.txt', ':/']) {
        const response = await api('POST', `/sessions/${id}/git/stage`, { paths: [magic] });
        expect(response.status, magic).toBe(400);
      }
      expect(git(repo, 'diff', '--cached', '--name-only')).toBe('');
      fs.rmSync(path.join(repo, '--cached'));
    });
  });

  it("never runs commands the repository's own config names (fsmonitor, filter drivers, textconv), on reads or snapshots", async () => {
    const evil = makeRepo('evil');
    const ran = path.join(harness.dir, 'evil-ran');
    fs.writeFileSync(path.join(evil, '.gitattributes'), 'a.txt filter=evil diff=evil\n');
    git(evil, 'add', '.gitattributes');
    git(evil, 'commit', '-q', '-m', 'attributes');
    for (const [key, what] of [['core.fsmonitor', 'fsmonitor'], ['filter.evil.clean', 'clean'], ['filter.evil.process', 'process'], ['diff.evil.textconv', 'textconv'], ['diff.evil.command', 'command']]) {
      git(evil, 'config', key!, `touch ${ran}-${what}; cat`);
    }
    fs.writeFileSync(path.join(evil, 'a.txt'), 'changed by the agent\n');
    // An old mtime makes git hash the file again (through its clean filter, were it on).
    fs.utimesSync(path.join(evil, 'a.txt'), new Date('2020-01-01'), new Date('2020-01-01'));
    const evilId = await startSession(evil, { provider: 'command', args: ['bash', '--norc', '--noprofile'] });
    expect((await api('GET', `/sessions/${evilId}/git/status`)).json.files.map((f: { path: string }) => f.path)).toContain('a.txt');
    expect((await api('GET', `/sessions/${evilId}/git/diff`)).json.text).toContain('+changed by the agent');
    expect((await api('GET', `/sessions/${evilId}/git/diff-stat`)).status).toBe(200);
    expect((await api('GET', `/sessions/${evilId}/git/diff?path=a.txt`)).status).toBe(200);
    // A turn: the snapshot hashes the worktree with git add -A.
    await untilState(evilId, 'idle');
    await api('POST', `/sessions/${evilId}/send`, { text: 'echo more >> sub/b.txt' });
    await waitFor(async () => (await api('GET', `/sessions/${evilId}/turns`)).json.turns.length >= 1, { timeoutMs: 20_000, what: 'a turn of the evil repository' });
    const leftovers = fs.readdirSync(harness.dir).filter((name) => name.startsWith('evil-ran'));
    expect(leftovers).toEqual([]);
    await api('POST', `/sessions/${evilId}/kill`);
  });

  it('a session outside any repository: NOT_A_GIT_REPOSITORY on every route', async () => {
    const plain = path.join(harness.dir, 'plain');
    fs.mkdirSync(plain);
    const other = await startSession(plain);
    for (const route of ['git/status', 'git/branches', 'git/log', 'git/diff', 'git/diff-stat', 'git/file?path=x']) {
      const response = await api('GET', `/sessions/${other}/${route}`);
      expect(response.status, route).toBe(400);
      expect(response.json.error.code).toBe('NOT_A_GIT_REPOSITORY');
    }
    expect((await api('GET', `/sessions/${other}/turns`)).json).toEqual({ turns: [] });
    expect((await api('GET', `/sessions/${other}/git/diff?turn=1`)).json.error.code).toMatch(/NOT_A_GIT_REPOSITORY|TURN_NOT_FOUND/);
  });
});

describe('the git commands of the CLI', () => {
  let repo: string;
  let id: string;

  beforeAll(async () => {
    repo = makeRepo('cli');
    id = await startSession(repo);
  });

  const run = async (...args: string[]) => {
    const result = await harness.run(args);
    return result;
  };
  const json = async (...args: string[]) => {
    const result = await run(...args, '--json');
    expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
    return JSON.parse(result.stdout);
  };

  it('status, diff, diff --stat, stage, commit, log, branches, checkout, discard with --json', async () => {
    fs.writeFileSync(path.join(repo, 'a.txt'), 'cli change\n');
    fs.writeFileSync(path.join(repo, 'untracked.txt'), 'u\n');
    const status = await json('git', id, 'status');
    expect(status.files.map((f: { path: string }) => f.path).sort()).toEqual(['a.txt', 'untracked.txt']);
    const diff = await json('git', id, 'diff');
    expect(diff.text).toContain('+cli change');
    expect(await json('diff', id, 'a.txt')).toMatchObject({ text: expect.stringContaining('+cli change') });
    expect(await json('diff', id, '--stat')).toEqual({ files: [{ path: 'a.txt', from: null, additions: 1, deletions: 1, binary: false }], additions: 1, deletions: 1 });
    expect((await json('git', id, 'stage', 'a.txt')).files.find((f: { path: string }) => f.path === 'a.txt').staged).toBe(true);
    expect((await json('git', id, 'diff', '--staged')).text).toContain('+cli change');
    expect((await json('git', id, 'unstage', 'a.txt')).files.find((f: { path: string }) => f.path === 'a.txt').staged).toBe(false);
    const committed = await json('git', id, 'commit', '-m', 'from the cli', '--all');
    expect(committed.commit.subject).toBe('from the cli');
    expect((await json('git', id, 'log')).commits.map((c: { subject: string }) => c.subject)).toEqual(['from the cli', 'first']);
    expect((await json('git', id, 'checkout', 'topic', '-b')).branch).toBe('topic');
    expect((await json('git', id, 'branches')).current).toBe('topic');
    expect((await json('git', id, 'discard', 'untracked.txt')).clean).toBe(true);
    expect(await json('turns', id)).toEqual({ turns: [] });
    expect(await json('git', id, 'turns')).toEqual({ turns: [] });
  });

  it('plain text when piped: a diff without colour codes, errors in one line with the exit code of their family', async () => {
    fs.writeFileSync(path.join(repo, 'a.txt'), 'plain change\n');
    const diff = await run('diff', id);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toContain('+plain change');
    expect(diff.stdout).not.toContain('\u001b[');
    const coloured = await harness.run(['diff', id], { env: { ...harness.env, FORCE_COLOR: '1' } });
    expect(coloured.stdout).toContain('\u001b[32m+plain change');
    const status = await run('git', id, 'status');
    expect(status.stdout).toMatch(/on branch topic/);
    expect(status.stdout).toMatch(/not staged:\n {2}M a\.txt/);
    const stat = await run('git', id, 'diff', '--stat');
    expect(stat.stdout).toMatch(/a\.txt\s+\+1\s+-1/);
    const outside = await run('git', id, 'diff', '../outside/secret.txt');
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/^codepiper: path "..\/outside\/secret.txt" leads out of the worktree/);
    expect(outside.stdout + outside.stderr).not.toContain(MARKER);
    const empty = await run('git', id, 'commit', '-m', 'nothing staged');
    expect(empty.code).toBe(5);
    expect(empty.stderr).toContain('nothing to commit');
    const wrong = await run('git', id, 'status', '--turn', '2');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--turn does not apply to git status');
    const unknown = await run('git', id, 'diff', '--turn', '7');
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('no turn 7');
  });
});

describe('per-turn snapshots with the fake Claude (Stop hook)', () => {
  it('three turns, each diff exactly its change; the user index, status, branches and refs/heads untouched', async () => {
    const repo = makeRepo('turns');
    // Something already staged and something untracked before the agent starts: both must stay as they are.
    fs.writeFileSync(path.join(repo, 'sub', 'b.txt'), 'staged by the user\n');
    git(repo, 'add', 'sub/b.txt');
    fs.writeFileSync(path.join(repo, 'notes.txt'), 'the user\'s untracked notes\n');
    const indexFile = path.join(repo, '.git', 'index');
    const id = await startSession(repo, { provider: 'claude-code' });
    await untilScreen(id, /❯/);
    await untilState(id, 'idle');
    const stops = async () =>
      ((await api('GET', `/sessions/${id}/events?limit=1000`)).json.events as Array<{ type: string; data: { event?: string } }>).filter(
        (event) => event.type === 'hook' && event.data.event === 'Stop',
      ).length;
    const baseline = await waitFor(() => {
      try {
        return git(repo, 'for-each-ref', '--format=%(refname)', `refs/codepiper/${id}/`).trim() || undefined;
      } catch {
        return undefined;
      }
    }, { what: 'the baseline snapshot' });
    expect(baseline).toBe(`refs/codepiper/${id}/0`);

    const indexBytes = fs.readFileSync(indexFile);
    const stagedBefore = git(repo, 'ls-files', '-s');
    const headsBefore = git(repo, 'for-each-ref', 'refs/heads');
    const headBefore = git(repo, 'rev-parse', 'HEAD');
    const symbolicBefore = git(repo, 'symbolic-ref', 'HEAD');

    const turn = async (text: string, expectTurns: number) => {
      const before = await stops();
      await api('POST', `/sessions/${id}/send`, { text });
      await waitFor(async () => (await stops()) > before, { what: `the Stop hook of "${text}"`, timeoutMs: 15_000 });
      return waitFor(async () => {
        const turns = (await api('GET', `/sessions/${id}/turns`)).json.turns;
        return turns.length === expectTurns ? turns : undefined;
      }, { what: `${expectTurns} turn(s) recorded`, timeoutMs: 15_000 });
    };

    await turn('write a.txt first turn', 1);
    await turn('write added.txt second turn', 2);
    // A turn that changes nothing is not a turn with changes: no turn 3 for it.
    await turn('echo nothing changed', 2);
    const turns = await turn('rm sub/b.txt', 3);

    expect(turns.map((t: { turn: number }) => t.turn)).toEqual([1, 2, 3]);
    expect(turns.map((t: { files: Array<{ path: string }> }) => t.files.map((file) => file.path))).toEqual([['a.txt'], ['added.txt'], ['sub/b.txt']]);
    expect(turns[0]).toMatchObject({ ref: `refs/codepiper/${id}/1`, trigger: 'stop-hook', additions: 1, deletions: 1 });
    expect(turns[1]).toMatchObject({ additions: 1, deletions: 0 });
    expect(turns[2]).toMatchObject({ additions: 0, deletions: 1 });

    const d1 = (await api('GET', `/sessions/${id}/git/diff?turn=1`)).json;
    expect(d1.compared).toMatch(/^turn 1 \(/);
    expect(d1.text).toContain('diff --git a/a.txt b/a.txt');
    expect(d1.text).toContain('-original a\n+first turn\n');
    expect(d1.text).not.toContain('added.txt');
    expect(d1.text).not.toContain('b.txt');
    const d2 = (await api('GET', `/sessions/${id}/git/diff?turn=2`)).json.text;
    expect(d2).toContain('+second turn');
    expect(d2.match(/^diff --git/gm)).toHaveLength(1);
    const d3 = (await api('GET', `/sessions/${id}/git/diff?turn=3`)).json.text;
    // the file deleted held the user's staged content: the turn removed that
    expect(d3).toContain('deleted file mode');
    expect(d3).toContain('-staged by the user');
    expect(d3.match(/^diff --git/gm)).toHaveLength(1);
    expect((await api('GET', `/sessions/${id}/git/diff-stat?turn=2`)).json).toEqual({ files: [{ path: 'added.txt', from: null, additions: 1, deletions: 0, binary: false }], additions: 1, deletions: 0 });
    expect((await api('GET', `/sessions/${id}/git/diff?turn=2&path=a.txt`)).json.text).toBe('');
    // each turn is in the session's event log too (followers refresh on it)
    const logged = (await api('GET', `/sessions/${id}/events?source=git&limit=100`)).json.events;
    expect(logged.map((event: { type: string; data: { turn: number } }) => [event.type, event.data.turn])).toEqual([['turn', 1], ['turn', 2], ['turn', 3]]);
    const unknown = await api('GET', `/sessions/${id}/git/diff?turn=4`);
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('TURN_NOT_FOUND');

    // The user's index: the very same bytes; staged entries, HEAD, branches: the same; only private refs were added.
    expect(fs.readFileSync(indexFile)).toEqual(indexBytes);
    expect(git(repo, 'ls-files', '-s')).toBe(stagedBefore);
    expect(git(repo, 'for-each-ref', 'refs/heads')).toBe(headsBefore);
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(headBefore);
    expect(git(repo, 'symbolic-ref', 'HEAD')).toBe(symbolicBefore);
    expect(git(repo, 'stash', 'list')).toBe('');
    expect(git(repo, 'for-each-ref', '--format=%(refname)').split('\n').filter(Boolean).sort()).toEqual(
      ['refs/heads/main', ...[0, 1, 2, 3].map((n) => `refs/codepiper/${id}/${n}`)].sort(),
    );
    // git status as the user sees it: the agent's edits unstaged, the user's staged change still staged, notes untracked.
    expect(git(repo, 'status', '--porcelain')).toBe([' M a.txt', 'MD sub/b.txt', '?? added.txt', '?? notes.txt', ''].join('\n'));
  });

  it('an agent without hooks: a turn ends when its screen goes idle after running', async () => {
    const repo = makeRepo('idle-turns');
    const id = await startSession(repo, { provider: 'codex' });
    await untilState(id, 'idle');
    await waitFor(() => fs.existsSync(path.join(repo, '.git', 'refs', 'codepiper', id, '0')), { what: 'the baseline snapshot' });
    // busy for a while (the screen shows it working), then the queued edit, then quiet
    await api('POST', `/sessions/${id}/send`, { text: 'work 1500' });
    await api('POST', `/sessions/${id}/send`, { text: 'write made-by-codex.txt idle turn' });
    const turns = await waitFor(async () => {
      const listed = (await api('GET', `/sessions/${id}/turns`)).json.turns;
      return listed.length >= 1 ? listed : undefined;
    }, { what: 'a turn recorded when the screen went idle', timeoutMs: 20_000 });
    expect(turns).toHaveLength(1);
    expect(turns[0]).toMatchObject({ turn: 1, trigger: 'idle', additions: 1, deletions: 0, files: [{ path: 'made-by-codex.txt', from: null, additions: 1, deletions: 0, binary: false }] });
    expect((await api('GET', `/sessions/${id}/git/diff?turn=1`)).json.text).toContain('+idle turn');
  });
});
