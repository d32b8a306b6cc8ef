import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { createSessionInput } from '../api/sessions';
import type { Workspace, WorkspaceCreate, WorkspaceUpdate } from '../api/workspaces';
import { AppError } from '../errors';
import type { ProviderId } from '../providers';

interface WorkspaceRow {
  id: string;
  name: string;
  dir: string;
  description: string | null;
  provider: ProviderId | null;
  args: string;
  worktree: number;
  created_at: string;
  updated_at: string;
}

/** Finds a set by id or name (throwing its NOT_FOUND), as the set's own service does. */
type SetLookup = (ref: string) => { id: string; name: string };

/** The fields of a create request a workspace fills in (before or after parsing: a dry run sees raw input). */
export interface SessionRequestDefaults {
  cwd?: unknown;
  provider?: unknown;
  args?: unknown;
  envSetIds?: unknown;
}

/** Whether sessions.create takes a worktree flag (another part of issue 14 adds it); a workspace's default sets it. */
const CREATE_TAKES_WORKTREE = 'worktree' in createSessionInput.shape;

/**
 * Workspaces: a named directory with the defaults sessions started from it get (provider, args, env sets, policy
 * sets, worktree). A workspace refers to sets by id; a set a workspace uses cannot be deleted (its service refuses,
 * naming the workspaces), so a workspace never silently loses part of what it was set up with.
 */
export class WorkspaceService {
  private readonly sql;

  constructor(
    private readonly db: Database.Database,
    private readonly sets: { policySet: SetLookup; envSet: SetLookup },
  ) {
    this.sql = {
      all: db.prepare('SELECT * FROM workspaces ORDER BY name'),
      byId: db.prepare('SELECT * FROM workspaces WHERE id = ?'),
      byName: db.prepare('SELECT * FROM workspaces WHERE name = ?'),
      insert: db.prepare(`INSERT INTO workspaces (id, name, dir, description, provider, args, worktree, created_at, updated_at)
        VALUES (@id, @name, @dir, @description, @provider, @args, @worktree, @at, @at)`),
      update: db.prepare(`UPDATE workspaces SET name = @name, dir = @dir, description = @description, provider = @provider, args = @args,
        worktree = @worktree, updated_at = @at WHERE id = @id`),
      delete: db.prepare('DELETE FROM workspaces WHERE id = ?'),
      envSets: db.prepare(`SELECT s.id, s.name FROM env_sets s JOIN workspace_env_sets l ON l.env_set_id = s.id WHERE l.workspace_id = ? ORDER BY l.position`),
      policySets: db.prepare(`SELECT s.id, s.name FROM policy_sets s JOIN workspace_policy_sets l ON l.policy_set_id = s.id WHERE l.workspace_id = ? ORDER BY l.position`),
      clearEnvSets: db.prepare('DELETE FROM workspace_env_sets WHERE workspace_id = ?'),
      clearPolicySets: db.prepare('DELETE FROM workspace_policy_sets WHERE workspace_id = ?'),
      addEnvSet: db.prepare('INSERT INTO workspace_env_sets (workspace_id, env_set_id, position) VALUES (?, ?, ?)'),
      addPolicySet: db.prepare('INSERT INTO workspace_policy_sets (workspace_id, policy_set_id, position) VALUES (?, ?, ?)'),
    };
  }

  list(): Workspace[] {
    return (this.sql.all.all() as WorkspaceRow[]).map((row) => this.fromRow(row));
  }

  /** By id or name. */
  get(ref: string): Workspace {
    const row = (this.sql.byId.get(ref) ?? this.sql.byName.get(ref)) as WorkspaceRow | undefined;
    if (!row) throw new AppError('WORKSPACE_NOT_FOUND', `no workspace "${ref}" (see codepiper workspace list)`);
    return this.fromRow(row);
  }

  create(input: WorkspaceCreate): Workspace {
    checkDirectory(input.dir);
    const envSetIds = unique(input.envSetIds.map((ref) => this.sets.envSet(ref).id), 'envSetIds');
    const policySetIds = unique(input.policySetIds.map((ref) => this.sets.policySet(ref).id), 'policySetIds');
    const id = `ws_${crypto.randomBytes(5).toString('hex')}`;
    const at = new Date().toISOString();
    this.write(() => {
      this.sql.insert.run({ id, name: input.name, dir: input.dir, description: input.description ?? null, provider: input.provider ?? null, args: JSON.stringify(input.args), worktree: input.worktree ? 1 : 0, at });
      this.link(id, envSetIds, policySetIds);
    }, input.name);
    return this.get(id);
  }

  update(ref: string, changes: WorkspaceUpdate): Workspace {
    const current = this.get(ref);
    if (changes.dir !== undefined) checkDirectory(changes.dir);
    const envSetIds = changes.envSetIds && unique(changes.envSetIds.map((setRef) => this.sets.envSet(setRef).id), 'envSetIds');
    const policySetIds = changes.policySetIds && unique(changes.policySetIds.map((setRef) => this.sets.policySet(setRef).id), 'policySetIds');
    const name = changes.name ?? current.name;
    this.write(() => {
      this.sql.update.run({
        id: current.id,
        name,
        dir: changes.dir ?? current.dir,
        description: changes.description === undefined ? current.description : changes.description,
        provider: changes.provider === undefined ? current.provider : changes.provider,
        args: JSON.stringify(changes.args ?? current.args),
        worktree: (changes.worktree ?? current.worktree) ? 1 : 0,
        at: new Date().toISOString(),
      });
      if (envSetIds) this.sql.clearEnvSets.run(current.id);
      if (policySetIds) this.sql.clearPolicySets.run(current.id);
      this.link(current.id, envSetIds ?? [], policySetIds ?? []);
    }, name);
    return this.get(current.id);
  }

  /** Deletes the workspace only: its directory and its sets stay, sessions started from it go on. */
  delete(ref: string): Workspace {
    const workspace = this.get(ref);
    this.sql.delete.run(workspace.id);
    return workspace;
  }

  /**
   * A create request with the workspace's defaults filled in, raw or parsed: what the request gives wins. The cwd,
   * provider and args are the workspace's when left out (args also when empty: an empty list is what a caller sends
   * when it has none); its env sets come first, the request's after them, so the request's win a name both set; its
   * worktree default turns worktree on. Refuses a workspace whose directory is gone.
   */
  applyTo<T extends SessionRequestDefaults>(request: T, ref: string): { request: T; workspace: Workspace } {
    const workspace = this.get(ref);
    const filled: Record<string, unknown> = { ...(request as Record<string, unknown>) };
    if (request.cwd === undefined) {
      if (!isDirectory(workspace.dir)) {
        throw new AppError(
          'VALIDATION_FAILED',
          `workspace: the directory of workspace "${workspace.name}" is gone: ${workspace.dir} (move it back, or codepiper workspace update ${workspace.name} --dir <dir>)`,
          { details: { issues: [{ path: 'workspace', message: `the directory of workspace "${workspace.name}" is gone: ${workspace.dir}` }] } },
        );
      }
      filled.cwd = workspace.dir;
    }
    if (request.provider === undefined && workspace.provider) filled.provider = workspace.provider;
    if (request.args === undefined || (Array.isArray(request.args) && request.args.length === 0)) filled.args = [...workspace.args];
    const own = Array.isArray(request.envSetIds) ? request.envSetIds : [];
    if (workspace.envSets.length) filled.envSetIds = [...workspace.envSets.map((set) => set.id), ...own];
    // Only when the request leaves it out: an explicit worktree: false wins over the workspace's default.
    if (workspace.worktree && CREATE_TAKES_WORKTREE && filled.worktree === undefined) filled.worktree = true;
    return { request: filled as T, workspace };
  }

  /** The policy sets a session started from the workspace gets (none when the workspace is gone since). */
  policySetIds(workspaceId: string): string[] {
    return (this.sql.policySets.all(workspaceId) as Array<{ id: string }>).map((set) => set.id);
  }

  private link(id: string, envSetIds: string[], policySetIds: string[]): void {
    envSetIds.forEach((setId, position) => this.sql.addEnvSet.run(id, setId, position));
    policySetIds.forEach((setId, position) => this.sql.addPolicySet.run(id, setId, position));
  }

  private fromRow(row: WorkspaceRow): Workspace {
    return {
      id: row.id,
      name: row.name,
      dir: row.dir,
      dirExists: isDirectory(row.dir),
      description: row.description,
      provider: row.provider,
      args: JSON.parse(row.args) as string[],
      policySets: this.sql.policySets.all(row.id) as Array<{ id: string; name: string }>,
      envSets: this.sql.envSets.all(row.id) as Array<{ id: string; name: string }>,
      worktree: row.worktree === 1,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  private write(run: () => void, name: string): void {
    try {
      this.db.transaction(run)();
    } catch (error) {
      if (/UNIQUE constraint failed: workspaces.name/.test((error as Error).message)) throw new AppError('NAME_TAKEN', `a workspace named "${name}" already exists`);
      throw error;
    }
  }
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** A workspace's directory: absolute, there, and a directory. */
function checkDirectory(dir: string): void {
  const problem = !path.isAbsolute(dir)
    ? `must be an absolute path, got "${dir}"`
    : !fs.existsSync(dir)
      ? `directory does not exist: ${dir}`
      : !isDirectory(dir)
        ? `not a directory: ${dir}`
        : undefined;
  if (problem) throw new AppError('VALIDATION_FAILED', `dir: ${problem}`, { details: { issues: [{ path: 'dir', message: problem }] } });
}

/** A set named twice (by id and by name, say) is a mistake worth saying, not something to keep twice. */
function unique(ids: string[], field: string): string[] {
  const twice = ids.filter((id, index) => ids.indexOf(id) !== index);
  if (twice.length) throw new AppError('VALIDATION_FAILED', `${field}: ${twice.join(', ')} named more than once`);
  return ids;
}
