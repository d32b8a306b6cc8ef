import crypto from 'node:crypto';
import type Database from 'better-sqlite3';
import { MAX_ENV_SET_VARIABLES, type EnvSet, type EnvSetCreate, type EnvSetUpdate } from '../api/env-sets';
import { AppError } from '../errors';
import { seal, unseal, type SealKey } from '../seal';
import { lengthClass, maskFor } from './mask';

interface SetRow {
  id: string;
  name: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}

interface VariableRow {
  name: string;
  value_sealed: string;
}

/** The key values are sealed with, or why there is none (secrets.json holds a damaged one). */
export type EnvKeySource = () => SealKey;

/**
 * Env sets: named sets of variables for sessions. Every value is sealed on its own row with the env key (seal.ts),
 * authenticated as `env-set:<set id>:<name>`, so a sealed value copied to another set or another variable does not
 * open there. Reads show names and masks only (mask.ts); the values are opened in one place, `resolve`, when a
 * session starts.
 */
export class EnvSetService {
  private readonly sql;

  constructor(
    private readonly db: Database.Database,
    private readonly envKey: EnvKeySource,
  ) {
    this.sql = {
      all: db.prepare('SELECT * FROM env_sets ORDER BY name'),
      byId: db.prepare('SELECT * FROM env_sets WHERE id = ?'),
      byName: db.prepare('SELECT * FROM env_sets WHERE name = ?'),
      insert: db.prepare('INSERT INTO env_sets (id, name, description, created_at, updated_at) VALUES (@id, @name, @description, @at, @at)'),
      update: db.prepare('UPDATE env_sets SET name = @name, description = @description, updated_at = @at WHERE id = @id'),
      delete: db.prepare('DELETE FROM env_sets WHERE id = ?'),
      variables: db.prepare('SELECT name, value_sealed FROM env_set_vars WHERE set_id = ? ORDER BY name'),
      putVariable: db.prepare(`INSERT INTO env_set_vars (set_id, name, value_sealed, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (set_id, name) DO UPDATE SET value_sealed = excluded.value_sealed, updated_at = excluded.updated_at`),
      deleteVariable: db.prepare('DELETE FROM env_set_vars WHERE set_id = ? AND name = ?'),
      workspaces: db.prepare(`SELECT w.name FROM workspaces w JOIN workspace_env_sets l ON l.workspace_id = w.id WHERE l.env_set_id = ? ORDER BY w.name`),
    };
  }

  list(): EnvSet[] {
    return (this.sql.all.all() as SetRow[]).map((row) => this.fromRow(row));
  }

  /** By id or name. */
  get(ref: string): EnvSet {
    return this.fromRow(this.row(ref));
  }

  /** By id or name, or undefined (a dry run reports a missing set as one issue among others). */
  find(ref: string): EnvSet | undefined {
    const row = this.findRow(ref);
    return row && this.fromRow(row);
  }

  create(input: EnvSetCreate): EnvSet {
    const key = this.envKey();
    const id = `env_${crypto.randomBytes(5).toString('hex')}`;
    const at = now();
    this.write(() => {
      this.sql.insert.run({ id, name: input.name, description: input.description ?? null, at });
      for (const [name, value] of Object.entries(input.variables)) this.sql.putVariable.run(id, name, seal(key, value, variableContext(id, name)), at);
    }, input.name);
    return this.get(id);
  }

  /** Renames, describes, and sets or removes single variables; what is not named stays as it is. */
  update(ref: string, changes: EnvSetUpdate): EnvSet {
    const current = this.row(ref);
    const set = changes.set ?? {};
    const unset = changes.unset ?? [];
    const both = unset.filter((name) => name in set);
    if (both.length) throw new AppError('VALIDATION_FAILED', `${both.join(', ')}: both set and unset; give each variable once`);
    const held = new Set((this.sql.variables.all(current.id) as VariableRow[]).map((row) => row.name));
    const absent = unset.filter((name) => !held.has(name));
    if (absent.length) {
      throw new AppError('VALIDATION_FAILED', `unset: ${absent.join(', ')} ${absent.length === 1 ? 'is' : 'are'} not in env set "${current.name}" (it has ${[...held].join(', ') || 'no variables'})`);
    }
    const after = new Set([...held, ...Object.keys(set)]);
    for (const name of unset) after.delete(name);
    if (after.size > MAX_ENV_SET_VARIABLES) throw new AppError('VALIDATION_FAILED', `set: env set "${current.name}" would hold ${after.size} variables, more than ${MAX_ENV_SET_VARIABLES}`);
    const key = Object.keys(set).length ? this.envKey() : undefined;
    const at = now();
    const name = changes.name ?? current.name;
    this.write(() => {
      const description = changes.description === undefined ? current.description : changes.description;
      this.sql.update.run({ id: current.id, name, description, at });
      for (const [variable, value] of Object.entries(set)) this.sql.putVariable.run(current.id, variable, seal(key!, value, variableContext(current.id, variable)), at);
      for (const variable of unset) this.sql.deleteVariable.run(current.id, variable);
    }, name);
    return this.get(current.id);
  }

  /**
   * Deletes a set no workspace uses. A workspace that names it would otherwise start sessions without variables it was
   * set up to give them, silently: the user chooses (change the workspace, then delete). Sessions do not hold it:
   * they keep, sealed, the values they started with.
   */
  delete(ref: string): EnvSet {
    const set = this.get(ref);
    if (set.workspaces.length) {
      throw new AppError(
        'SET_IN_USE',
        `env set "${set.name}" is used by workspace${set.workspaces.length === 1 ? '' : 's'} ${set.workspaces.join(', ')}; ` +
          `remove it from ${set.workspaces.length === 1 ? 'it' : 'them'} first (codepiper workspace update <name> --env-set ...)`,
        { details: { workspaces: set.workspaces } },
      );
    }
    this.sql.delete.run(set.id);
    return set;
  }

  /**
   * The variables of the sets `refs` name (ids or names), layered in that order: a later set's value wins a name both
   * have. Throws ENV_SET_NOT_FOUND naming the first unknown one. The one place values are opened.
   */
  resolve(refs: readonly string[]): { ids: string[]; env: Record<string, string> } {
    const rows = refs.map((ref) => this.row(ref));
    const ids = rows.map((row) => row.id);
    if (rows.length === 0) return { ids, env: {} };
    const key = this.envKey();
    const env: Record<string, string> = {};
    for (const row of rows) {
      for (const variable of this.sql.variables.all(row.id) as VariableRow[]) {
        try {
          env[variable.name] = unseal(key, variable.value_sealed, variableContext(row.id, variable.name));
        } catch (error) {
          throw new AppError('SEALED_VALUE_UNREADABLE', `env set "${row.name}": ${variable.name} ${(error as Error).message}; set it again (codepiper env-set set ${row.name} ${variable.name})`);
        }
      }
    }
    return { ids, env };
  }

  private findRow(ref: string): SetRow | undefined {
    return (this.sql.byId.get(ref) ?? this.sql.byName.get(ref)) as SetRow | undefined;
  }

  private row(ref: string): SetRow {
    const row = this.findRow(ref);
    if (!row) throw new AppError('ENV_SET_NOT_FOUND', `no env set "${ref}" (see codepiper env-set list)`);
    return row;
  }

  private fromRow(row: SetRow): EnvSet {
    const variables = (this.sql.variables.all(row.id) as VariableRow[]).map((variable) => {
      const length = lengthClass(sealedByteLength(variable.value_sealed));
      return { name: variable.name, masked: maskFor(length), length };
    });
    const workspaces = (this.sql.workspaces.all(row.id) as Array<{ name: string }>).map((workspace) => workspace.name);
    return { id: row.id, name: row.name, description: row.description, variables, workspaces, createdAt: row.created_at, updatedAt: row.updated_at };
  }

  /** One transaction; a name another set holds is NAME_TAKEN, not a raw constraint error. */
  private write(run: () => void, name: string): void {
    try {
      this.db.transaction(run)();
    } catch (error) {
      if (/UNIQUE constraint failed: env_sets.name/.test((error as Error).message)) throw new AppError('NAME_TAKEN', `an env set named "${name}" already exists`);
      throw error;
    }
  }
}

/** What one sealed variable is authenticated as: its set and its name. */
export function variableContext(setId: string, name: string): string {
  return `env-set:${setId}:${name}`;
}

/**
 * The plaintext's size in bytes, read from the sealed form without opening it: GCM's ciphertext is as long as its
 * plaintext, and the body is the last base64url part.
 */
function sealedByteLength(sealed: string): number {
  const body = sealed.slice(sealed.lastIndexOf('.') + 1);
  return Math.floor((body.length * 3) / 4);
}

function now(): string {
  return new Date().toISOString();
}
