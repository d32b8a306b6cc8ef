import type { Handlers } from '../router';

/** Worktree routes: thin adapters to the session engine (the dry run) and the sessions' worktrees. */
export const worktreeHandlers = {
  'sessions.validateGit': (input, { daemon }) => daemon.core.sessions.validateGit(input),
  'worktrees.list': async (_input, { daemon }) => ({ worktrees: await daemon.core.worktrees.list() }),
  'worktrees.remove': ({ id, force }, { daemon }) => daemon.core.worktrees.remove(id, force),
  'worktrees.prune': (_input, { daemon }) => daemon.core.worktrees.prune(),
} satisfies Pick<Handlers, 'sessions.validateGit' | 'worktrees.list' | 'worktrees.remove' | 'worktrees.prune'>;
