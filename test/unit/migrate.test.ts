import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, schemaVersion, type Migration } from '../../src/core/db/migrate';
import { migrations } from '../../src/core/db/migrations';
import { openDatabase } from '../../src/core/db/open';
import { isAppError } from '../../src/core/errors';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-db-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const first: Migration = { version: 1, name: 'a', up: 'CREATE TABLE a (x INTEGER);' };
const second: Migration = { version: 2, name: 'b', up: 'CREATE TABLE b (y INTEGER);' };
const broken: Migration = { version: 3, name: 'broken', up: 'CREATE TABLE c (z INTEGER); INSERT INTO nowhere VALUES (1);' };

function tables(db: Database.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
}

describe('openDatabase', () => {
  it('sets WAL, foreign keys and a busy timeout, and applies every migration', () => {
    const file = path.join(dir, 'codepiper.db');
    const db = openDatabase(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(schemaVersion(db)).toBe(migrations.length);
    expect(tables(db)).toContain('meta');
    db.close();
    // Opening again applies nothing new and keeps the data.
    const again = openDatabase(file);
    expect(schemaVersion(again)).toBe(migrations.length);
    expect(again.prepare("SELECT count(*) AS n FROM meta WHERE key = 'created_at'").get()).toEqual({ n: 1 });
    again.close();
  });

  it('refuses a database newer than the code, leaving it untouched', () => {
    const file = path.join(dir, 'future.db');
    const raw = new Database(file);
    raw.pragma(`user_version = ${migrations.length + 5}`);
    raw.close();
    const before = fs.readFileSync(file);
    let caught: unknown;
    try {
      openDatabase(file);
    } catch (error) {
      caught = error;
    }
    expect(isAppError(caught) && caught.code).toBe('DATABASE_TOO_NEW');
    expect((caught as Error).message).toMatch(/schema version \d+, newer than this codepiper understands.*upgrade codepiper/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });
});

describe('migrate', () => {
  it('applies only the pending migrations, each recording its version', () => {
    const db = new Database(':memory:');
    expect(migrate(db, [first])).toBe(1);
    expect(schemaVersion(db)).toBe(1);
    migrate(db, [first, second]);
    expect(schemaVersion(db)).toBe(2);
    expect(tables(db)).toEqual(['a', 'b']);
  });

  it('rolls a failed migration back whole and stays at the last good version', () => {
    const db = new Database(':memory:');
    let caught: unknown;
    try {
      migrate(db, [first, second, broken]);
    } catch (error) {
      caught = error;
    }
    expect(isAppError(caught) && caught.code).toBe('MIGRATION_FAILED');
    expect((caught as Error).message).toMatch(/migration 3 \(broken\) failed.*stays at version 2/);
    expect(schemaVersion(db)).toBe(2);
    expect(tables(db)).toEqual(['a', 'b']); // table c was created inside the failed transaction and is gone
  });

  it('rejects a migration list with gaps or out of order', () => {
    const db = new Database(':memory:');
    expect(() => migrate(db, [first, { ...second, version: 3 }])).toThrow(/out of order/);
  });

  it('the shipped list is numbered 1..n', () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
  });
});
