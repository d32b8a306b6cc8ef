import type { Migration } from '../migrate';

/**
 * A session in its own git worktree: the repository it was made from, the worktree's directory, the branch, what it
 * was made from (the ref as given, and the commit that ref named then), whether CodePiper created the branch (only
 * then may removing the worktree delete it), and when the worktree was removed (the record stays: the session's
 * history names it). All null for a session without a worktree, and for sessions from before.
 */
export const migration009: Migration = {
  version: 9,
  name: 'session worktrees',
  up: `
    ALTER TABLE sessions ADD COLUMN worktree_repo_root TEXT;
    ALTER TABLE sessions ADD COLUMN worktree_path TEXT;
    ALTER TABLE sessions ADD COLUMN worktree_branch TEXT;
    ALTER TABLE sessions ADD COLUMN worktree_base_ref TEXT;
    ALTER TABLE sessions ADD COLUMN worktree_base_commit TEXT;
    ALTER TABLE sessions ADD COLUMN worktree_created_branch INTEGER CHECK (worktree_created_branch IN (0, 1));
    ALTER TABLE sessions ADD COLUMN worktree_removed_at TEXT;
    CREATE INDEX sessions_worktree_path ON sessions (worktree_path) WHERE worktree_path IS NOT NULL;
  `,
};
