import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parsePorcelainStatus, parseWorktreeList, validBranchName } from '../../src/core/git/repository';
import { chosenBranch, mappedCwd, requestIssues, worktreeIssues, worktreePath, type WorktreeFacts } from '../../src/core/git/validate';
import { hasWork } from '../../src/core/git/worktrees';

const REPO = { root: '/src/app', subdir: '', bare: false, headBranch: 'main', headCommit: 'c'.repeat(40), dirty: [] as string[] };
const fine: WorktreeFacts = { repo: REPO, baseCommit: 'c'.repeat(40), branchNameValid: true, branchExists: false, branchCheckedOutAt: null, pathTaken: null };
const target = { branch: 'cp/web', path: '/src/app.worktrees/web' };

describe('worktree defaults', () => {
  it('names the branch cp/<name-or-id> unless one is given, and puts the worktree beside the repository or under the configured root', () => {
    expect(chosenBranch({ cwd: '/x' }, 'web')).toBe('cp/web');
    expect(chosenBranch({ cwd: '/x', createBranch: 'fix/login' }, 'web')).toBe('fix/login');
    expect(chosenBranch({ cwd: '/x', branch: 'feature' }, 'web')).toBe('feature');
    expect(worktreePath('/src/app', 'web')).toBe('/src/app.worktrees/web');
    expect(worktreePath('/src/app', 'web', '/wt')).toBe('/wt/app/web');
    expect(mappedCwd('/src/app.worktrees/web', '')).toBe('/src/app.worktrees/web');
    expect(mappedCwd('/src/app.worktrees/web', 'pkg/api')).toBe('/src/app.worktrees/web/pkg/api');
  });
});

describe('requestIssues', () => {
  it('wants worktree: true for the branch fields, and not branch with createBranch or baseRef', () => {
    expect(requestIssues({ cwd: '/x', createBranch: 'a', baseRef: 'b' }).map((issue) => issue.path)).toEqual(['createBranch', 'baseRef']);
    expect(requestIssues({ cwd: '/x', worktree: true, branch: 'a', createBranch: 'b', baseRef: 'c' }).map((issue) => issue.path)).toEqual(['branch', 'baseRef']);
    expect(requestIssues({ cwd: '/x', worktree: true, createBranch: 'b', baseRef: 'c' })).toEqual([]);
  });
});

describe('worktreeIssues', () => {
  it('has nothing to say of a clean repository on a branch', () => {
    expect(worktreeIssues({ cwd: '/src/app' }, fine, target)).toEqual([]);
  });

  it('stops at a directory that is no repository, or a bare one: nothing else can be known', () => {
    const none = worktreeIssues({ cwd: '/tmp' }, { ...fine, repo: { ...REPO, root: null } }, target);
    expect(none).toEqual([expect.objectContaining({ path: 'cwd', level: 'error', message: '/tmp is not inside a git repository' })]);
    const bare = worktreeIssues({ cwd: '/srv/app.git' }, { ...fine, repo: { ...REPO, root: null, bare: true } }, target);
    expect(bare.map((issue) => issue.message)).toEqual(['/srv/app.git is a bare repository: it has no working tree to start a session in']);
  });

  it('reports every problem at once, each with a fix, the uncommitted changes as a warning', () => {
    const facts: WorktreeFacts = {
      repo: { ...REPO, headBranch: null, dirty: ['a', 'b', 'c', 'd', 'e', 'f', 'g'] },
      baseCommit: 'c'.repeat(40),
      branchNameValid: true,
      branchExists: true,
      branchCheckedOutAt: null,
      pathTaken: 'registered',
    };
    const issues = worktreeIssues({ cwd: '/src/app' }, facts, target);
    expect(issues.map((issue) => [issue.path, issue.level])).toEqual([
      ['baseRef', 'error'],
      ['createBranch', 'error'],
      ['worktree', 'error'],
      ['cwd', 'warning'],
    ]);
    expect(issues[3]!.message).toBe(
      '/src/app has 7 uncommitted changes (a, b, c, d, e, and 2 more): the new worktree starts from cccccccccccc and will not contain them',
    );
    expect(issues[1]!.fix).toContain('--checkout cp/web');
    expect(issues[2]!.fix).toContain('git worktree prune');
    for (const issue of issues) expect(issue.fix).not.toBe('');
  });

  it('does not mind a detached HEAD when a base is given, but does mind a base that names nothing', () => {
    const detached = { ...fine, repo: { ...REPO, headBranch: null } };
    expect(worktreeIssues({ cwd: '/src/app', baseRef: 'main' }, detached, target)).toEqual([]);
    expect(worktreeIssues({ cwd: '/src/app', baseRef: 'nope' }, { ...detached, baseCommit: null }, target).map((issue) => issue.message)).toEqual([
      'base ref "nope" names no commit in /src/app',
    ]);
  });

  it('checks an existing branch: it must exist and be free', () => {
    const existing = { cwd: '/src/app', branch: 'feature' };
    const branch = { branch: 'feature', path: target.path };
    expect(worktreeIssues(existing, fine, branch).map((issue) => issue.message)).toEqual(['branch "feature" does not exist in /src/app']);
    expect(worktreeIssues(existing, { ...fine, branchExists: true }, branch)).toEqual([]);
    const busy = worktreeIssues(existing, { ...fine, branchExists: true, branchCheckedOutAt: '/src/app' }, branch);
    expect(busy.map((issue) => issue.message)).toEqual(['branch "feature" is already checked out in /src/app; git checks a branch out in one worktree at a time']);
    expect(worktreeIssues(existing, { ...fine, branchNameValid: false }, branch)[0]!.message).toBe('"feature" is not a valid branch name');
  });

  it('says a repository without a commit has nothing to start from', () => {
    const empty = { ...fine, repo: { ...REPO, headBranch: 'main', headCommit: null }, baseCommit: null };
    expect(worktreeIssues({ cwd: '/src/app' }, empty, target).map((issue) => issue.message)).toEqual(['/src/app has no commit yet: a worktree starts from a commit']);
  });
});

describe('validBranchName', () => {
  it("agrees with git check-ref-format --branch", () => {
    const names = ['HEAD', 'a/b', 'a..b', 'a.lock', '.a', 'a/.b', 'a b', 'a~b', 'a^', 'a:b', 'a?', 'a*', 'a[b', 'a\\b', 'a@{b', 'a//b', '/a', 'a/', 'a.', '-a',
      'cp/fix-login', 'ü', 'a@b', 'a.b.lock/c', 'x/a.lock', 'tab\there', 'release/1.2'];
    for (const name of names) {
      const git = spawnSync('git', ['check-ref-format', '--branch', name], { stdio: 'ignore', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } });
      expect(validBranchName(name), name).toBe(git.status === 0);
    }
  });
});

describe('git output parsers', () => {
  it('reads git worktree list --porcelain -z', () => {
    const out = ['worktree /src/app', 'HEAD ' + 'a'.repeat(40), 'branch refs/heads/main', '', 'worktree /src/app.worktrees/web', 'HEAD ' + 'b'.repeat(40), 'detached', 'prunable gitdir file points to non-existent location', '', ''].join('\0');
    expect(parseWorktreeList(out)).toEqual([
      { path: '/src/app', head: 'a'.repeat(40), branch: 'main', bare: false, detached: false, prunable: false },
      { path: '/src/app.worktrees/web', head: 'b'.repeat(40), branch: null, bare: false, detached: true, prunable: true },
    ]);
  });

  it('reads git status --porcelain=v1 -z, a rename by its new path', () => {
    const out = [' M file.txt', '?? new dir/a b.txt', 'R  new.txt', 'old.txt', ''].join('\0');
    expect(parsePorcelainStatus(out)).toEqual([
      { code: ' M', path: 'file.txt' },
      { code: '??', path: 'new dir/a b.txt' },
      { code: 'R ', path: 'new.txt' },
    ]);
  });
});

describe('hasWork', () => {
  const worktree = { repoRoot: '/src/app', path: '/src/app.worktrees/web', branch: 'cp/web', baseRef: 'main', baseCommit: 'c'.repeat(40), createdBranch: true, removedAt: null };

  it('says exactly what would be lost: the files, and the commits and where they stay', () => {
    const error = hasWork(worktree, { files: [{ path: 'a.ts', status: ' M' }], commits: [{ sha: 'd'.repeat(40), subject: 'wip' }], currentBranch: 'cp/web' }, 'web');
    expect(error.code).toBe('WORKTREE_HAS_WORK');
    expect(error.message).toBe(
      'the worktree of session web (/src/app.worktrees/web) has work: 1 uncommitted file would be lost: a.ts; 1 commit not merged into main or any other ' +
        'branch (they stay on branch cp/web, which removing keeps): dddddddddddd wip. Commit or merge it first, or remove anyway with --force (force: true)',
    );
    const detached = hasWork(worktree, { files: [], commits: [{ sha: 'e'.repeat(40), subject: 'lost' }], currentBranch: null }, 'web');
    expect(detached.message).toContain('on a detached HEAD that no branch holds (they would be lost)');
  });
});
