/**
 * The git review routes the diff view uses (src/core/api/git.ts), as plain functions over the daemon link, so the
 * controller reads as what it does and screen tests can see each call by its route name.
 */
import type { Diff, DiffStat, GitStatus, Turn } from '../core/api/git';
import type { DaemonLink } from './link';

export interface GitCalls {
  status(id: string): Promise<GitStatus>;
  diffStat(id: string, staged: boolean): Promise<DiffStat>;
  diff(input: { id: string; path: string; staged?: boolean; turn?: number; offset?: number; limitBytes: number }): Promise<Diff>;
  file(input: { id: string; path: string }): Promise<{ exists: boolean; binary: boolean; text: string | null; tooLarge: boolean; size: number }>;
  turns(id: string): Promise<Turn[]>;
  stage(id: string, paths: string[]): Promise<GitStatus>;
  unstage(id: string, paths: string[]): Promise<GitStatus>;
  commit(id: string, message: string): Promise<{ commit: { shortHash: string; subject: string } }>;
}

// TEMPORARY until the review routes are registered in src/core/api/index.ts (branch i14-review): the link's call is
// typed by the registered routes only. Replaced by typed calls at the merge.
type Untyped = (name: string, input: Record<string, unknown>) => Promise<unknown>;

export function gitCalls(link: DaemonLink): GitCalls {
  const call: Untyped = (name, input) => (link.call as unknown as Untyped)(name, input);
  return {
    status: (id) => call('git.status', { id }) as Promise<GitStatus>,
    diffStat: (id, staged) => call('git.diffStat', { id, staged }) as Promise<DiffStat>,
    diff: (input) => call('git.diff', input) as Promise<Diff>,
    file: (input) => call('git.file', { ...input, at: 'worktree' }) as ReturnType<GitCalls['file']>,
    turns: async (id) => ((await call('sessions.turns', { id })) as { turns: Turn[] }).turns,
    stage: (id, paths) => call('git.stage', { id, paths }) as Promise<GitStatus>,
    unstage: (id, paths) => call('git.unstage', { id, paths }) as Promise<GitStatus>,
    commit: (id, message) => call('git.commit', { id, message }) as ReturnType<GitCalls['commit']>,
  };
}
