import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRawBody, rawBodyFor, rawBodyHeaders } from '../../src/core/api/raw';
import { pageDiff, pageDiffText } from '../../src/core/git/diff-page';
import { openInside, safeWorktreePath } from '../../src/core/git/paths';
import { parseNumstat, parseStatusV2 } from '../../src/core/git/status';
import { isAppError } from '../../src/core/errors';

let dir: string;
let top: string;
let outside: string;

beforeAll(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cp-git-paths-')));
  top = path.join(dir, 'repo');
  outside = path.join(dir, 'outside');
  fs.mkdirSync(path.join(top, 'sub', 'deep'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'secret'), 'secret\n');
  fs.writeFileSync(path.join(top, 'sub', 'file.txt'), 'inside\n');
  fs.symlinkSync(outside, path.join(top, 'out-dir'));
  fs.symlinkSync(path.join(outside, 'secret'), path.join(top, 'out-file'));
  fs.symlinkSync(path.join(outside, 'not-yet'), path.join(top, 'out-dangling'));
  fs.symlinkSync('sub/file.txt', path.join(top, 'in-link'));
  fs.symlinkSync('../..', path.join(top, 'sub', 'deep', 'up'));
  fs.symlinkSync('loop-b', path.join(top, 'loop-a'));
  fs.symlinkSync('loop-a', path.join(top, 'loop-b'));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function refusal(input: string): string {
  try {
    safeWorktreePath(top, input);
  } catch (error) {
    if (isAppError(error) && error.code === 'PATH_OUTSIDE_WORKTREE') return error.message;
    throw error;
  }
  throw new Error(`${JSON.stringify(input)} was accepted`);
}

describe('safeWorktreePath', () => {
  it('accepts paths inside, existing or not, and names them as git does', () => {
    expect(safeWorktreePath(top, 'sub/file.txt')).toEqual({ rel: 'sub/file.txt', real: path.join(top, 'sub/file.txt') });
    expect(safeWorktreePath(top, './sub/../sub/new.txt').rel).toBe('sub/new.txt');
    expect(safeWorktreePath(top, 'not/made/yet.txt')).toEqual({ rel: 'not/made/yet.txt', real: path.join(top, 'not/made/yet.txt') });
    expect(safeWorktreePath(top, '--cached').rel).toBe('--cached');
    expect(safeWorktreePath(top, ':(top)x').rel).toBe(':(top)x');
    // a link that stays inside is fine; git works on the link, a read goes to its target
    expect(safeWorktreePath(top, 'in-link')).toEqual({ rel: 'in-link', real: path.join(top, 'sub/file.txt') });
    expect(safeWorktreePath(top, 'sub/deep/up/sub/file.txt').real).toBe(path.join(top, 'sub/file.txt'));
  });

  it('refuses .., absolute paths, NUL, the .git directory and the top itself', () => {
    expect(refusal('../outside/secret')).toMatch(/leads out of the worktree/);
    expect(refusal('sub/../../outside/secret')).toMatch(/leads out/);
    expect(refusal('/etc/passwd')).toMatch(/is absolute/);
    expect(refusal('a\0b')).toMatch(/NUL/);
    expect(refusal('.git/config')).toMatch(/\.git/);
    expect(refusal('sub/.GIT/x')).toMatch(/\.git/);
    expect(refusal('.')).toMatch(/worktree itself/);
    expect(refusal('')).toMatch(/empty/);
  });

  it('refuses symlinks out: to a directory, to a file, dangling, through a parent, in a loop', () => {
    expect(refusal('out-dir/secret')).toMatch(/symbolic link/);
    expect(refusal('out-dir')).toMatch(/symbolic link/);
    expect(refusal('out-file')).toMatch(/symbolic link/);
    expect(refusal('out-dangling')).toMatch(/symbolic link/);
    expect(refusal('out-dir/not/there')).toMatch(/symbolic link/);
    expect(refusal('sub/deep/up/out-dir/secret')).toMatch(/symbolic link/);
    // ".." is taken lexically, as git takes it: "up/.." cancels out, and what is used is the path inside
    expect(safeWorktreePath(top, 'sub/deep/up/../x')).toEqual({ rel: 'sub/deep/x', real: path.join(top, 'sub/deep/x') });
    expect(refusal('loop-a')).toMatch(/too many symbolic links|cannot be resolved/);
  });

  it('openInside reads a checked file and refuses one swapped for a link after the check', () => {
    const checked = safeWorktreePath(top, 'sub/swap.txt');
    fs.writeFileSync(path.join(top, 'sub', 'swap.txt'), 'ok\n');
    const fd = openInside(top, checked, 'sub/swap.txt');
    expect(fd).not.toBeNull();
    fs.closeSync(fd!);
    fs.rmSync(path.join(top, 'sub', 'swap.txt'));
    expect(openInside(top, checked, 'sub/swap.txt')).toBeNull();
    fs.symlinkSync(path.join(outside, 'secret'), path.join(top, 'sub', 'swap.txt'));
    expect(() => openInside(top, checked, 'sub/swap.txt')).toThrow(/symbolic link|outside/);
  });
});

describe('pageDiff', () => {
  const text = Buffer.from(['diff --git a/x b/x', '+é and ü', '-line two', '+日本語 line', ''].join('\n'));

  it('one page when it fits', () => {
    expect(pageDiffText(text.toString(), 0, 1_000_000)).toEqual(pageDiff(text, 0, 1_000_000));
    expect(pageDiff(text, 0, 1_000_000)).toEqual({ text: text.toString(), offset: 0, totalBytes: text.length, truncated: false, nextOffset: null });
  });

  it('pages end at a line end; the pages put together are the whole', () => {
    for (const limit of [1, 5, 12, 20, 33]) {
      let offset = 0;
      let joined = '';
      for (let guard = 0; guard < 1000; guard++) {
        const page = pageDiff(text, offset, limit);
        joined += page.text;
        if (!page.truncated) break;
        expect(page.nextOffset).toBeGreaterThan(offset);
        offset = page.nextOffset!;
      }
      expect(joined).toBe(text.toString());
    }
    const first = pageDiff(text, 0, 25);
    expect(first.text).toBe('diff --git a/x b/x\n');
    expect(first.truncated).toBe(true);
  });

  it('never cuts a character: an offset inside one moves to the next character, a page too small still holds one', () => {
    const wide = Buffer.from('日本語');
    const page = pageDiff(wide, 1, 2);
    expect(page.offset).toBe(3);
    expect(page.text).toBe('本');
    expect(pageDiff(wide, 0, 4).text).toBe('日');
    expect(pageDiff(wide, 99, 10)).toMatchObject({ text: '', offset: wide.length, truncated: false, nextOffset: null });
  });
});

describe('status and numstat parsing', () => {
  it('reads porcelain v2: branch, upstream, ahead/behind, changes, renames, conflicts, untracked', () => {
    const out = [
      '# branch.oid 0123456789abcdef0123456789abcdef01234567',
      '# branch.head main',
      '# branch.upstream origin/main',
      '# branch.ab +2 -1',
      '1 .M N... 100644 100644 100644 aaa aaa file with space.txt',
      '1 A. N... 000000 100644 100644 000 bbb added.txt',
      '2 R. N... 100644 100644 100644 ccc ccc R100 new name.txt',
      'old name.txt',
      'u UU N... 100644 100644 100644 100644 d1 d2 d3 both.txt',
      '? untracked.txt',
      '',
    ].join('\0');
    const status = parseStatusV2(out, '/top');
    expect(status).toMatchObject({ root: '/top', branch: 'main', head: '0123456789abcdef0123456789abcdef01234567', upstream: 'origin/main', ahead: 2, behind: 1, clean: false });
    expect(status.files).toEqual([
      { path: 'file with space.txt', from: null, index: ' ', worktree: 'M', staged: false, unstaged: true, untracked: false, conflicted: false },
      { path: 'added.txt', from: null, index: 'A', worktree: ' ', staged: true, unstaged: false, untracked: false, conflicted: false },
      { path: 'new name.txt', from: 'old name.txt', index: 'R', worktree: ' ', staged: true, unstaged: false, untracked: false, conflicted: false },
      { path: 'both.txt', from: null, index: 'U', worktree: 'U', staged: true, unstaged: true, untracked: false, conflicted: true },
      { path: 'untracked.txt', from: null, index: '?', worktree: '?', staged: false, unstaged: true, untracked: true, conflicted: false },
    ]);
    expect(parseStatusV2('# branch.oid (initial)\0# branch.head (detached)\0', '/t')).toMatchObject({ head: null, branch: null, clean: true, files: [] });
  });

  it('reads numstat -z: counts, binaries, renames', () => {
    const out = ['3\t1\ta.txt', '-\t-\timg.png', '0\t0\t', 'old.txt', 'new.txt', ''].join('\0');
    expect(parseNumstat(out)).toEqual({
      files: [
        { path: 'a.txt', from: null, additions: 3, deletions: 1, binary: false },
        { path: 'img.png', from: null, additions: 0, deletions: 0, binary: true },
        { path: 'new.txt', from: 'old.txt', additions: 0, deletions: 0, binary: false },
      ],
      additions: 3,
      deletions: 1,
    });
  });
});

describe('raw bodies', () => {
  it('types come from the bytes; HTML and SVG are served as plain text, never rendered', () => {
    expect(rawBodyFor(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]), 'a.txt')).toMatchObject({ contentType: 'image/png', disposition: 'inline' });
    expect(rawBodyFor(Buffer.from('<svg onload="x()"/>'), 'pic.svg').contentType).toBe('text/plain; charset=utf-8');
    expect(rawBodyFor(Buffer.from('<html><script>1</script>'), 'x.html').contentType).toBe('text/plain; charset=utf-8');
    expect(rawBodyFor(Buffer.from([0, 1, 2]), 'x.png')).toMatchObject({ contentType: 'application/octet-stream', disposition: 'attachment' });
    const headers = rawBodyHeaders(rawBodyFor(Buffer.from('x'), 'dir/na"me\u00e9.txt'));
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['content-disposition']).toBe(`inline; filename="na_me_.txt"; filename*=UTF-8''na%22me%C3%A9.txt`);
    expect(isRawBody({ raw: true, bytes: 'not bytes' })).toBe(false);
  });
});
