/**
 * The git review routes the diff view uses (src/core/api/git.ts), as plain functions over the daemon link, so the
 * controller reads as what it does and screen tests can see each call by its route name.
 */
import type { RouteOutput } from '../core/api';
import type { Diff, DiffStat, GitStatus, Turn } from '../core/api/git';
import type { DaemonLink } from './link';

export interface GitCalls {
  status(id: string): Promise<GitStatus>;
  diffStat(id: string, staged: boolean): Promise<DiffStat>;
  diff(input: { id: string; path: string; staged?: boolean; turn?: number; offset?: number; limitBytes: number }): Promise<Diff>;
  turns(id: string): Promise<Turn[]>;
  stage(id: string, paths: string[]): Promise<GitStatus>;
  unstage(id: string, paths: string[]): Promise<GitStatus>;
  commit(id: string, message: string): Promise<RouteOutput<'git.commit'>>;
}

export function gitCalls(link: DaemonLink): GitCalls {
  return {
    status: (id) => link.call('git.status', { id }),
    diffStat: (id, staged) => link.call('git.diffStat', { id, staged }),
    diff: (input) => link.call('git.diff', input),
    turns: async (id) => (await link.call('sessions.turns', { id })).turns,
    stage: (id, paths) => link.call('git.stage', { id, paths }),
    unstage: (id, paths) => link.call('git.unstage', { id, paths }),
    commit: (id, message) => link.call('git.commit', { id, message }),
  };
}
