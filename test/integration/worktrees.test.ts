// Sessions in their own git worktrees, end to end: the real binary, a real daemon, real git repositories made in the
// test's temp dir (git's identity from the environment, the machine's git config ignored), bash as the agent.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness';
import { daemonApi } from '../helpers/daemon-api';
import { waitFor } from '../helpers/wait';

let harness: Harness;
let client: Client;
const { api, untilScreen, untilState } = daemonApi(() => client);

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
};
const BASH = ['bash', '--norc', '--noprofile'];

function git(dir: string, ...args: string[]): string {
  const result = spawnSync('git', ['-C', dir, ...args], { env: { ...process.env, ...GIT_ENV }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} in ${dir}: ${result.stderr}`);
  return result.stdout;
}

/** A repository with one commit: file.txt, and src/sub/deep.txt for the subdirectory case. */
function makeRepo(name: string): string {
  const dir = path.join(harness.dir, 'repos', name);
  fs.mkdirSync(path.join(dir, 'src', 'sub'), { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  fs.writeFileSync(path.join(dir, 'file.txt'), 'original\n');
  fs.writeFileSync(path.join(dir, 'src', 'sub', 'deep.txt'), 'deep\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'first');
  return fs.realpathSync(dir);
}

async function create(body: Record<string, unknown>) {
  const { status, json } = await api('POST', '/sessions', { provider: 'command', args: BASH, ...body });
  expect(status, JSON.stringify(json)).toBe(200);
  return json;
}

async function cli(...args: string[]) {
  return harness.run(args, { timeoutMs: 30_000 });
}

/** Types a command into the session with `codepiper send`, as a person would. */
async function type(session: string, text: string): Promise<void> {
  const sent = await cli('send', session, text);
  expect(sent.code, sent.stderr).toBe(0);
}

async function worktrees(): Promise<any[]> {
  const { status, json } = await api('GET', '/worktrees');
  expect(status, JSON.stringify(json)).toBe(200);
  return json.worktrees;
}

beforeAll(async () => {
  harness = createHarness();
  Object.assign(harness.env, GIT_ENV);
  const started = await harness.run(['daemon', 'start', '--detach']);
  expect(started.code, started.stderr).toBe(0);
  client = new Client('http://localhost', { socketPath: harness.socket });
}, 30_000);

afterAll(async () => {
  await client?.close();
  await harness?.cleanup();
});

describe('two sessions on one repository, each in its own worktree', () => {
  let repo: string;
  let alpha: any;
  let beta: any;

  beforeAll(async () => {
    repo = makeRepo('app');
    alpha = await create({ cwd: repo, name: 'alpha', worktree: true });
    beta = await create({ cwd: repo, name: 'beta', worktree: true });
  });

  it('puts each beside the repository on its own new branch cp/<name>, from HEAD, and runs the agent there', async () => {
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    expect(alpha.worktree).toEqual({
      repoRoot: repo,
      path: path.join(path.dirname(repo), 'app.worktrees', 'alpha'),
      branch: 'cp/alpha',
      baseRef: 'main',
      baseCommit: head,
      createdBranch: true,
      removedAt: null,
    });
    expect(alpha.cwd).toBe(alpha.worktree.path);
    expect(beta.worktree.path).toBe(path.join(path.dirname(repo), 'app.worktrees', 'beta'));
    expect(git(alpha.worktree.path, 'branch', '--show-current').trim()).toBe('cp/alpha');
    expect(git(beta.worktree.path, 'branch', '--show-current').trim()).toBe('cp/beta');
    await type('alpha', 'pwd');
    await untilScreen(alpha.id, new RegExp(`^${alpha.worktree.path}$`, 'm'));
  });

  it('keeps each change in its own worktree: the same file edited differently, each diff only its own', async () => {
    await type('alpha', 'echo alpha-change > file.txt');
    await type('beta', 'echo beta-change > file.txt');
    await waitFor(() => git(alpha.worktree.path, 'diff').includes('+alpha-change'), { what: "alpha's edit" });
    await waitFor(() => git(beta.worktree.path, 'diff').includes('+beta-change'), { what: "beta's edit" });
    const alphaDiff = git(alpha.worktree.path, 'diff');
    const betaDiff = git(beta.worktree.path, 'diff');
    expect(alphaDiff).toContain('-original');
    expect(alphaDiff).not.toContain('beta-change');
    expect(betaDiff).not.toContain('alpha-change');
    // The source checkout is untouched.
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(fs.readFileSync(path.join(repo, 'file.txt'), 'utf8')).toBe('original\n');
  });

  it('lists both worktrees with session, branch, changed files and ahead/behind; sessions shows the branch', async () => {
    const listed = await worktrees();
    const mine = listed.filter((entry) => entry.repoRoot === repo);
    expect(mine.map((entry) => [entry.sessionName, entry.branch, entry.changed, entry.untracked, entry.ahead, entry.behind, entry.missing])).toEqual([
      ['alpha', 'cp/alpha', 1, 0, 0, 0, false],
      ['beta', 'cp/beta', 1, 0, 0, 0, false],
    ]);
    const table = await cli('worktree', 'list');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/alpha .*cp\/alpha .*1 changed .*\+0\/-0/);
    const sessions = await harness.run(['sessions'], { env: { ...harness.env, COLUMNS: '200' } });
    expect(sessions.stdout).toMatch(/BRANCH/);
    expect(sessions.stdout).toMatch(/alpha .*cp\/alpha/);
    // A narrow terminal still gets lines that fit.
    const narrow = await harness.run(['sessions'], { env: { ...harness.env, COLUMNS: '50' } });
    for (const line of narrow.stdout.trimEnd().split('\n')) expect(line.length, line).toBeLessThanOrEqual(50);
  });

  it('kill keeps the worktree; rm refuses while it is dirty and names the files; --force removes it and the merged branch', async () => {
    const killed = await cli('kill', 'alpha');
    expect(killed.code, killed.stderr).toBe(0);
    expect(fs.existsSync(alpha.worktree.path)).toBe(true);
    const refused = await cli('worktree', 'rm', 'alpha');
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('1 uncommitted file would be lost: file.txt');
    expect(refused.stderr).toContain('--force');
    const viaApi = await api('DELETE', '/worktrees/alpha');
    expect(viaApi.status).toBe(409);
    expect(viaApi.json.error.code).toBe('WORKTREE_HAS_WORK');
    expect(viaApi.json.error.details.files).toEqual([{ path: 'file.txt', status: ' M' }]);
    expect(fs.existsSync(alpha.worktree.path)).toBe(true);

    const forced = await cli('worktree', 'rm', 'alpha', '--force', '--json');
    expect(forced.code, forced.stderr).toBe(0);
    const removal = JSON.parse(forced.stdout);
    expect(removal.lost.files).toEqual([{ path: 'file.txt', status: ' M' }]);
    expect(removal.branchDeleted).toBe(true);
    expect(fs.existsSync(alpha.worktree.path)).toBe(false);
    expect(git(repo, 'branch', '--list', 'cp/alpha')).toBe('');
    expect(git(repo, 'worktree', 'list')).not.toContain('alpha');
    const session = (await api('GET', '/sessions/alpha')).json;
    expect(session.worktree.removedAt).toEqual(expect.any(String));
    expect((await worktrees()).map((entry) => entry.sessionName)).not.toContain('alpha');
  });

  it('refuses a worktree with a commit no other branch has, keeps that branch with --force', async () => {
    await type('beta', 'git add -A && git commit -q -m "beta work" && echo committed-$((40+2))');
    await untilScreen(beta.id, /committed-42/);
    await cli('kill', 'beta');
    const refused = await api('DELETE', '/worktrees/beta');
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toMatch(/1 commit not merged into main or any other branch \(they stay on branch cp\/beta, which removing keeps\): [0-9a-f]{12} beta work/);
    expect(refused.json.error.details.commits).toEqual([{ sha: git(beta.worktree.path, 'rev-parse', 'HEAD').trim(), subject: 'beta work' }]);
    const forced = await api('DELETE', '/worktrees/beta?force=1');
    expect(forced.status, JSON.stringify(forced.json)).toBe(200);
    expect(forced.json.branchDeleted).toBe(false);
    expect(forced.json.branchNote).toMatch(/cp\/beta has 1 commit no other branch has: kept/);
    expect(git(repo, 'log', '-1', '--format=%s', 'cp/beta').trim()).toBe('beta work');
    expect(fs.existsSync(beta.worktree.path)).toBe(false);
  });
});

describe('base ref, existing branch, subdirectory', () => {
  let repo: string;

  beforeAll(() => {
    repo = makeRepo('lib');
    git(repo, 'switch', '-q', '-c', 'release');
    fs.writeFileSync(path.join(repo, 'release.txt'), 'release\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'release commit');
    git(repo, 'switch', '-q', '-c', 'feature', 'main');
    fs.writeFileSync(path.join(repo, 'feature.txt'), 'feature\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'feature commit');
    git(repo, 'switch', '-q', 'main');
  });

  it('starts a new branch from a base ref (CLI --branch and --base)', async () => {
    const started = await cli('start', '-p', 'command', '-d', repo, '--name', 'rel', '--branch', 'topic/rel', '--base', 'release', '--json', '--', ...BASH);
    expect(started.code, started.stderr).toBe(0);
    const session = JSON.parse(started.stdout);
    expect(session.worktree).toMatchObject({ branch: 'topic/rel', baseRef: 'release', baseCommit: git(repo, 'rev-parse', 'release').trim(), createdBranch: true });
    expect(fs.existsSync(path.join(session.worktree.path, 'release.txt'))).toBe(true);
    expect(git(session.worktree.path, 'rev-parse', 'HEAD').trim()).toBe(git(repo, 'rev-parse', 'release').trim());
    // No upstream is set from the base: the agent's branch pushes nowhere by surprise.
    expect(spawnSync('git', ['-C', session.worktree.path, 'rev-parse', '--abbrev-ref', '@{upstream}'], { env: { ...process.env, ...GIT_ENV } }).status).not.toBe(0);
    // Ahead/behind is against the base as it is now: the base moves on, the worktree falls behind; a commit there puts it ahead.
    const entry = (await worktrees()).find((w) => w.sessionName === 'rel');
    expect([entry.ahead, entry.behind]).toEqual([0, 0]);
    git(repo, 'switch', '-q', 'release');
    fs.writeFileSync(path.join(repo, 'later.txt'), 'later\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'later on release');
    git(repo, 'switch', '-q', 'main');
    fs.writeFileSync(path.join(session.worktree.path, 'mine.txt'), 'mine\n');
    git(session.worktree.path, 'add', '-A');
    git(session.worktree.path, 'commit', '-q', '-m', 'mine');
    const moved = (await worktrees()).find((w) => w.sessionName === 'rel');
    expect([moved.ahead, moved.behind]).toEqual([1, 1]);
  });

  it('checks out an existing branch (--checkout), which removing never deletes', async () => {
    const started = await cli('start', '-p', 'command', '-d', repo, '--name', 'feat', '--checkout', 'feature', '--json', '--', ...BASH);
    expect(started.code, started.stderr).toBe(0);
    const session = JSON.parse(started.stdout);
    expect(session.worktree).toMatchObject({ branch: 'feature', createdBranch: false, baseCommit: git(repo, 'rev-parse', 'feature').trim() });
    expect(git(session.worktree.path, 'branch', '--show-current').trim()).toBe('feature');
    expect(fs.existsSync(path.join(session.worktree.path, 'feature.txt'))).toBe(true);
    // The branch is now checked out there: another session cannot check it out too.
    const again = await api('POST', '/sessions', { provider: 'command', args: BASH, cwd: repo, worktree: true, branch: 'feature', name: 'feat2' });
    expect(again.status).toBe(400);
    expect(again.json.error.message).toContain(`branch "feature" is already checked out in ${session.worktree.path}`);
    await cli('kill', 'feat');
    // The feature commit was there before the session: not the session's work, nothing to refuse for.
    const removed = await api('DELETE', '/worktrees/feat');
    expect(removed.status, JSON.stringify(removed.json)).toBe(200);
    expect(removed.json.branchDeleted).toBe(false);
    expect(removed.json.branchNote).toBe('feature was not created by CodePiper: kept');
    expect(git(repo, 'branch', '--list', 'feature')).toContain('feature');
  });

  it('maps a subdirectory of the repository to the same place in the worktree', async () => {
    const session = await create({ cwd: path.join(repo, 'src', 'sub'), name: 'deep', worktree: true });
    expect(session.cwd).toBe(path.join(session.worktree.path, 'src', 'sub'));
    await type('deep', 'cat deep.txt; pwd');
    await untilScreen(session.id, new RegExp(`^${session.cwd}$`, 'm'));
  });

  it('a directory the base commit does not have fails the create and leaves nothing behind', async () => {
    fs.mkdirSync(path.join(repo, 'untracked-dir'));
    const before = { sessions: (await api('GET', '/sessions')).json.sessions.length, branches: git(repo, 'branch', '--list'), worktrees: git(repo, 'worktree', 'list') };
    const failed = await api('POST', '/sessions', { provider: 'command', args: BASH, cwd: path.join(repo, 'untracked-dir'), worktree: true, name: 'ghost' });
    expect(failed.status).toBe(400);
    expect(failed.json.error.message).toContain('has no untracked-dir');
    expect((await api('GET', '/sessions')).json.sessions.length).toBe(before.sessions);
    expect(git(repo, 'branch', '--list')).toBe(before.branches);
    expect(git(repo, 'worktree', 'list')).toBe(before.worktrees);
    expect(fs.existsSync(path.join(path.dirname(repo), 'lib.worktrees', 'ghost'))).toBe(false);
  });
});

describe('validate-git: every problem at once, each with its fix', () => {
  it('lists detached HEAD, a branch that exists, a directory taken and uncommitted changes together', async () => {
    const repo = makeRepo('broken');
    git(repo, 'branch', 'cp/dup');
    git(repo, 'checkout', '-q', '--detach');
    fs.writeFileSync(path.join(repo, 'file.txt'), 'dirty\n');
    fs.mkdirSync(path.join(path.dirname(repo), 'broken.worktrees', 'dup'), { recursive: true });
    const { status, json } = await api('POST', '/sessions/validate-git', { cwd: repo, name: 'dup' });
    expect(status).toBe(200);
    expect(json.valid).toBe(false);
    expect(json.issues.map((issue: any) => [issue.path, issue.level])).toEqual([
      ['baseRef', 'error'],
      ['createBranch', 'error'],
      ['worktree', 'error'],
      ['cwd', 'warning'],
    ]);
    expect(json.issues[0].message).toMatch(/HEAD in .* is detached/);
    expect(json.issues[0].fix).toContain('--base');
    expect(json.issues[1].message).toContain('branch "cp/dup" already exists');
    expect(json.issues[2].message).toContain('broken.worktrees/dup exists already');
    expect(json.issues[3].message).toMatch(/1 uncommitted change \(file.txt\).* will not contain them/);
    for (const issue of json.issues) expect(issue.fix.length).toBeGreaterThan(10);

    // An unknown base instead of none: the detached HEAD no longer matters, the unknown base does.
    const withBase = await api('POST', '/sessions/validate-git', { cwd: repo, name: 'dup', baseRef: 'no-such-ref' });
    expect(withBase.json.issues.map((issue: any) => issue.path)).toEqual(['baseRef', 'createBranch', 'worktree', 'cwd']);
    expect(withBase.json.issues[0].message).toContain('base ref "no-such-ref" names no commit');

    // sessions.validate says the same with worktree: true; the uncommitted changes are a warning, not an issue.
    const validated = await api('POST', '/sessions/validate', { provider: 'command', args: BASH, cwd: repo, name: 'dup', worktree: true });
    expect(validated.json.valid).toBe(false);
    expect(validated.json.issues.map((issue: any) => issue.path)).toEqual(['baseRef', 'createBranch', 'worktree']);
    expect(validated.json.warnings.map((issue: any) => issue.path)).toEqual(['cwd']);

    // And create refuses with what it checks (the branch that exists is git's own refusal as it makes it), leaving
    // nothing behind; once the rest is fixed, that refusal is BRANCH_EXISTS with its fix.
    const sessionsBefore = (await api('GET', '/sessions')).json.sessions.length;
    const created = await api('POST', '/sessions', { provider: 'command', args: BASH, cwd: repo, name: 'dup', worktree: true });
    expect(created.status).toBe(400);
    expect(created.json.error.details.issues.map((issue: any) => issue.path)).toEqual(['baseRef', 'worktree']);
    fs.rmSync(path.join(path.dirname(repo), 'broken.worktrees'), { recursive: true });
    const exists = await api('POST', '/sessions', { provider: 'command', args: BASH, cwd: repo, name: 'dup', worktree: true, baseRef: 'main' });
    expect(exists.status).toBe(409);
    expect(exists.json.error.code).toBe('BRANCH_EXISTS');
    expect(exists.json.error.message).toContain('--checkout cp/dup');
    expect((await api('GET', '/sessions')).json.sessions.length).toBe(sessionsBefore);
    expect(fs.existsSync(path.join(path.dirname(repo), 'broken.worktrees'))).toBe(false);
    expect(git(repo, 'log', '-1', '--format=%H', 'cp/dup').trim()).toBe(git(repo, 'rev-parse', 'main').trim());
  });

  it('says so for a directory in no repository, a bare repository, and a branch checked out elsewhere', async () => {
    const plain = path.join(harness.dir, 'plain');
    fs.mkdirSync(plain);
    const none = await api('POST', '/sessions/validate-git', { cwd: plain });
    expect(none.json.issues).toEqual([expect.objectContaining({ path: 'cwd', level: 'error', message: `${plain} is not inside a git repository` })]);
    const created = await api('POST', '/sessions', { provider: 'command', args: BASH, cwd: plain, worktree: true });
    expect(created.json.error.code).toBe('NOT_A_GIT_REPOSITORY');

    const bare = path.join(harness.dir, 'bare.git');
    spawnSync('git', ['init', '-q', '--bare', bare], { env: { ...process.env, ...GIT_ENV } });
    const bareAnswer = await api('POST', '/sessions/validate-git', { cwd: bare });
    expect(bareAnswer.json.issues[0].message).toContain('is a bare repository');

    const repo = makeRepo('busy');
    const taken = await api('POST', '/sessions/validate-git', { cwd: repo, branch: 'main', baseRef: 'main', createBranch: 'x' });
    expect(taken.json.issues.map((issue: any) => issue.path)).toEqual(['branch', 'baseRef', 'branch']);
    expect(taken.json.issues[2].message).toBe(`branch "main" is already checked out in ${repo}; git checks a branch out in one worktree at a time`);
    const unknownBranch = await api('POST', '/sessions', { provider: 'command', args: BASH, cwd: repo, worktree: true, branch: 'nope' });
    expect(unknownBranch.json.error.code).toBe('GIT_REF_NOT_FOUND');
    const withoutWorktree = await api('POST', '/sessions', { provider: 'command', args: BASH, cwd: repo, createBranch: 'x' });
    expect(withoutWorktree.status).toBe(400);
    expect(withoutWorktree.json.error.message).toContain('createBranch applies to a session in its own worktree');
  });
});

describe('worktrees removed by hand, resume, prune', () => {
  let repo: string;
  let gone: any;
  let unregistered: any;
  let clean: any;

  beforeAll(async () => {
    repo = makeRepo('hand');
    gone = await create({ cwd: repo, name: 'gone', worktree: true });
    unregistered = await create({ cwd: repo, name: 'unreg', worktree: true });
    clean = await create({ cwd: repo, name: 'clean', worktree: true });
  });

  it('resumes an ended session in its worktree', async () => {
    await cli('kill', 'clean');
    await untilState(clean.id, 'stopped');
    const resumed = await cli('resume', 'clean');
    expect(resumed.code, resumed.stderr).toBe(0);
    await type('clean', 'pwd');
    await untilScreen(clean.id, new RegExp(`^${clean.worktree.path}$`, 'm'));
  });

  it('reports a worktree deleted with rm -rf or git worktree remove as missing; no route fails', async () => {
    await cli('kill', 'gone');
    await cli('kill', 'unreg');
    fs.rmSync(gone.worktree.path, { recursive: true, force: true });
    git(repo, 'worktree', 'remove', '--force', unregistered.worktree.path);
    const listed = await worktrees();
    const byName = Object.fromEntries(listed.map((entry) => [entry.sessionName, entry]));
    expect(byName.gone).toMatchObject({ missing: true, changed: null, problem: null });
    expect(byName.gone.missingReason).toContain('directory was deleted');
    expect(byName.unreg).toMatchObject({ missing: true });
    expect(byName.unreg.missingReason).toContain('removed outside CodePiper');
    expect(byName.clean.missing).toBe(false);
    for (const route of ['/sessions', '/sessions/gone', '/sessions/unreg/events', '/health']) expect((await api('GET', route)).status, route).toBe(200);
    const table = await cli('worktree', 'list');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/gone .*MISSING/);

    const resumed = await api('POST', '/sessions/gone/resume', {});
    expect(resumed.status).toBe(404);
    expect(resumed.json.error.code).toBe('WORKTREE_NOT_FOUND');
    expect(resumed.json.error.message).toContain(`its worktree ${gone.worktree.path} is gone (removed by hand)`);
    expect((await api('GET', '/sessions/gone')).json.state).toBe('stopped');
  });

  it('prune removes the clean, merged worktrees of ended sessions (and the missing ones), keeps the rest and says why', async () => {
    const dirty = await create({ cwd: repo, name: 'dirty', worktree: true });
    await type('dirty', 'echo x > new-file.txt');
    await waitFor(() => fs.existsSync(path.join(dirty.worktree.path, 'new-file.txt')), { what: 'the new file' });
    await cli('kill', 'dirty');
    const pruned = await cli('worktree', 'prune', '--json');
    expect(pruned.code, pruned.stderr).toBe(0);
    const result = JSON.parse(pruned.stdout);
    const removed = result.removed.map((entry: any) => [entry.path, entry.wasMissing, entry.branchDeleted]);
    expect(removed).toEqual(
      expect.arrayContaining([
        [gone.worktree.path, true, true],
        [unregistered.worktree.path, true, true],
      ]),
    );
    const kept = Object.fromEntries(result.kept.map((entry: any) => [entry.path, entry.reason]));
    expect(kept[clean.worktree.path]).toMatch(/session is (running|idle)/);
    expect(kept[dirty.worktree.path]).toContain('1 uncommitted file would be lost: new-file.txt');
    expect(fs.existsSync(dirty.worktree.path)).toBe(true);
    expect(git(repo, 'branch', '--list', 'cp/gone')).toBe('');
    const listed = (await worktrees()).map((entry) => entry.sessionName);
    expect(listed).toEqual(expect.arrayContaining(['clean', 'dirty']));
    expect(listed).not.toContain('gone');
  });

  it('an ignored file (a .env copied in) is work that prune and rm keep; an ignored directory (build output) is not', async () => {
    const ignoring = makeRepo('ignoring');
    fs.writeFileSync(path.join(ignoring, '.gitignore'), '.env\nbuild/\n');
    git(ignoring, 'add', '.gitignore');
    git(ignoring, 'commit', '-q', '-m', 'ignores');
    const session = await create({ cwd: ignoring, name: 'ignoring', worktree: true });
    fs.writeFileSync(path.join(session.worktree.path, '.env'), 'TOKEN=only-copy\n');
    fs.mkdirSync(path.join(session.worktree.path, 'build'));
    fs.writeFileSync(path.join(session.worktree.path, 'build', 'out.o'), 'made again by a build\n');
    await cli('kill', 'ignoring');
    const pruned = JSON.parse((await cli('worktree', 'prune', '--json')).stdout);
    const kept = Object.fromEntries(pruned.kept.map((entry: any) => [entry.path, entry.reason]));
    expect(kept[session.worktree.path]).toContain('.env');
    expect(kept[session.worktree.path]).not.toContain('build');
    expect(fs.readFileSync(path.join(session.worktree.path, '.env'), 'utf8')).toBe('TOKEN=only-copy\n');
    const refused = await cli('worktree', 'rm', 'ignoring');
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('.env');
    fs.rmSync(path.join(session.worktree.path, '.env'));
    const removed = await cli('worktree', 'rm', 'ignoring');
    expect(removed.code, removed.stderr).toBe(0);
    expect(fs.existsSync(session.worktree.path)).toBe(false);
  });

  it('a worktree whose .git link is gone is missing; rm refuses without --force and deletes the stray directory with it', async () => {
    const stray = await create({ cwd: repo, name: 'stray', worktree: true });
    await cli('kill', 'stray');
    fs.rmSync(path.join(stray.worktree.path, '.git'));
    const entry = (await worktrees()).find((w) => w.sessionName === 'stray');
    expect(entry).toMatchObject({ missing: true, problem: null });
    expect(entry.missingReason).toContain('git no longer knows it as a worktree');
    const refused = await api('DELETE', '/worktrees/stray');
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toContain('is still there, but git no longer knows it as a worktree');
    expect(fs.existsSync(stray.worktree.path)).toBe(true);
    const forced = await api('DELETE', '/worktrees/stray?force=true');
    expect(forced.status, JSON.stringify(forced.json)).toBe(200);
    expect(forced.json.wasMissing).toBe(true);
    expect(fs.existsSync(stray.worktree.path)).toBe(false);
    expect(git(repo, 'worktree', 'list')).not.toContain('stray');
  });

  it('refuses to remove the worktree of a running session', async () => {
    const refused = await api('DELETE', '/worktrees/clean');
    expect(refused.status).toBe(409);
    expect(refused.json.error.message).toContain('stop or kill it first');
  });
});
