import type { Handlers } from '../router';

/** Review: thin adapters from the git routes to the session's worktree (core/git/review.ts) and its turns. */
export const gitHandlers = {
  'git.status': ({ id }, { daemon }) => daemon.core.review.status(id),
  'git.branches': ({ id }, { daemon }) => daemon.core.review.branches(id),
  'git.log': ({ id, ...options }, { daemon }) => daemon.core.review.log(id, options),
  'git.diff': ({ id, ...options }, { daemon }) => daemon.core.review.diff(id, options),
  'git.diffStat': ({ id, ...options }, { daemon }) => daemon.core.review.diffStat(id, options),
  'git.file': ({ id, ...input }, { daemon }) => daemon.core.review.file(id, input),
  'git.fileRaw': ({ id, ...input }, { daemon }) => daemon.core.review.fileRaw(id, input),
  'git.stage': ({ id, paths }, { daemon }) => daemon.core.review.stage(id, paths),
  'git.unstage': ({ id, paths }, { daemon }) => daemon.core.review.unstage(id, paths),
  'git.commit': ({ id, ...input }, { daemon }) => daemon.core.review.commit(id, input),
  'git.checkout': ({ id, ...input }, { daemon }) => daemon.core.review.checkout(id, input),
  'git.discard': ({ id, paths }, { daemon, transport }) => daemon.core.review.discard(id, paths, transport === 'unix' ? 'socket' : 'network'),
  'sessions.turns': async ({ id }, { daemon }) => {
    const record = daemon.core.sessions.get(id);
    // A snapshot being written as the turn ended is waited for, so the list the caller sees includes it.
    await daemon.core.turns.settled(record.id);
    return { turns: daemon.core.turns.list(record.id) };
  },
} satisfies Pick<
  Handlers,
  | 'git.status' | 'git.branches' | 'git.log' | 'git.diff' | 'git.diffStat' | 'git.file' | 'git.fileRaw' | 'git.stage' | 'git.unstage'
  | 'git.commit' | 'git.checkout' | 'git.discard' | 'sessions.turns'
>;
