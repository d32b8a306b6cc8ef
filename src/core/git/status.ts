import type { DiffStat, GitStatus } from '../api/git';

type FileStatus = GitStatus['files'][number];

/** git's "." (unchanged) as the " " of the porcelain v1 letters the contract speaks. */
const letter = (value: string | undefined): string => (value === undefined || value === '.' ? ' ' : value);

function fileStatus(path: string, from: string | null, index: string, worktree: string, conflicted = false): FileStatus {
  const untracked = index === '?';
  return {
    path,
    from,
    index,
    worktree,
    staged: !untracked && index !== ' ' && index !== '!',
    unstaged: untracked || (worktree !== ' ' && worktree !== '!'),
    untracked,
    conflicted,
  };
}

/**
 * `git status --porcelain=v2 --branch -z` → the contract's status: one git run gives the branch, its commit, the
 * upstream and ahead/behind, and every changed file (renames with their old path).
 */
export function parseStatusV2(out: string, root: string): GitStatus {
  const status: GitStatus = { root, branch: null, head: null, upstream: null, ahead: 0, behind: 0, clean: true, files: [] };
  const records = out.split('\0');
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    if (record === '') continue;
    const kind = record[0];
    if (kind === '#') {
      const [, key, ...rest] = record.split(' ');
      const value = rest.join(' ');
      if (key === 'branch.oid') status.head = value === '(initial)' ? null : value;
      else if (key === 'branch.head') status.branch = value === '(detached)' ? null : value;
      else if (key === 'branch.upstream') status.upstream = value;
      else if (key === 'branch.ab') {
        const match = /^\+(\d+) -(\d+)$/.exec(value);
        if (match) {
          status.ahead = Number(match[1]);
          status.behind = Number(match[2]);
        }
      }
    } else if (kind === '1') {
      // 1 XY sub mH mI mW hH hI path
      const fields = splitN(record, 9);
      const xy = fields[1]!;
      status.files.push(fileStatus(fields[8]!, null, letter(xy[0]), letter(xy[1])));
    } else if (kind === '2') {
      // 2 XY sub mH mI mW hH hI Xscore path \0 origPath
      const fields = splitN(record, 10);
      const xy = fields[1]!;
      const from = records[++i] ?? null;
      status.files.push(fileStatus(fields[9]!, from, letter(xy[0]), letter(xy[1])));
    } else if (kind === 'u') {
      // u XY sub m1 m2 m3 mW h1 h2 h3 path
      const fields = splitN(record, 11);
      const xy = fields[1]!;
      status.files.push(fileStatus(fields[10]!, null, letter(xy[0]), letter(xy[1]), true));
    } else if (kind === '?') {
      status.files.push(fileStatus(record.slice(2), null, '?', '?'));
    }
  }
  status.clean = status.files.length === 0;
  return status;
}

/** The first n-1 space-separated fields, and the rest (a path may hold spaces) as the nth. */
function splitN(record: string, n: number): string[] {
  const fields: string[] = [];
  let at = 0;
  for (let k = 0; k < n - 1; k++) {
    const space = record.indexOf(' ', at);
    if (space < 0) break;
    fields.push(record.slice(at, space));
    at = space + 1;
  }
  fields.push(record.slice(at));
  return fields;
}

/**
 * `git diff --numstat -z` → lines added and deleted per file. A rename is "a\td\t\0from\0to\0"; a binary file
 * counts "-\t-" and is flagged.
 */
export function parseNumstat(out: string): DiffStat {
  const stat: DiffStat = { files: [], additions: 0, deletions: 0 };
  const parts = out.split('\0');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '') continue;
    const match = /^(-|\d+)\t(-|\d+)\t([\s\S]*)$/.exec(part);
    if (!match) continue;
    let path = match[3]!;
    let from: string | null = null;
    if (path === '') {
      from = parts[++i] ?? '';
      path = parts[++i] ?? '';
    }
    const binary = match[1] === '-';
    const additions = binary ? 0 : Number(match[1]);
    const deletions = binary ? 0 : Number(match[2]);
    stat.files.push({ path, from, additions, deletions, binary });
    stat.additions += additions;
    stat.deletions += deletions;
  }
  return stat;
}
