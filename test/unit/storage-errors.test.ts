import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineRoute, type RouteDef } from '../../src/core/api/route';
import { openDatabase } from '../../src/core/db/open';
import { runDoctor } from '../../src/core/doctor';
import { AppError, exitCodeFor, isAppError } from '../../src/core/errors';
import { resolvePaths } from '../../src/core/paths';
import type { DaemonContext, HandlerContext } from '../../src/daemon/context';
import { createRouter } from '../../src/daemon/router';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpu-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A real SQLITE_FULL: a database whose page limit is reached, as a full disk leaves it. */
function fillDatabase(file: string): () => void {
  const db = new Database(file);
  db.exec('CREATE TABLE t (x BLOB)');
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
  return () => {
    try {
      db.prepare('INSERT INTO t VALUES (randomblob(100000))').run();
    } finally {
      db.close();
    }
  };
}

/** A real SQLITE_READONLY: a write through a connection opened read-only. */
function writeReadOnly(file: string): () => void {
  new Database(file).exec('CREATE TABLE t (x)').close();
  return () => {
    const db = new Database(file, { readonly: true });
    try {
      db.prepare('INSERT INTO t VALUES (1)').run();
    } finally {
      db.close();
    }
  };
}

function caught(action: () => unknown): AppError {
  try {
    action();
  } catch (error) {
    if (isAppError(error)) return error;
    throw error;
  }
  throw new Error('it did not fail');
}

describe('storage failures when the database is opened', () => {
  it('a database path that cannot be created names the path and the cause, not "unable to open database file" alone', () => {
    fs.writeFileSync(path.join(dir, 'file'), '');
    const file = path.join(dir, 'file', 'codepiper.db');
    const error = caught(() => openDatabase(file));
    expect(error.code).toBe('STORAGE_UNAVAILABLE');
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/cannot be opened \(SQLITE_CANTOPEN\)/);
    expect(exitCodeFor(error)).toBe(8);
  });
});

describe('storage failures while the daemon serves', () => {
  const database = () => path.join(dir, 'codepiper.db');
  const context = (): HandlerContext => ({
    daemon: { log: { info: () => {}, warn: () => {}, error: () => {} }, core: { paths: { database: database() } } } as unknown as DaemonContext,
    transport: 'unix',
    headers: {},
    secure: false,
    responseHeaders: {},
  });
  const route = (name: string) =>
    defineRoute({ name, method: 'POST', path: `/${name}`, summary: '', access: 'write', input: z.strictObject({}), output: z.strictObject({}) });
  const routes = [route('full'), route('readonly'), route('enospc')] as unknown as RouteDef[];
  let writes: Record<string, () => void>;
  const router = createRouter(routes, {
    full: () => (writes.full!(), {}),
    readonly: () => (writes.readonly!(), {}),
    enospc: () => (writes.enospc!(), {}),
  } as never, context);
  const post = (name: string) => router.dispatch({ method: 'POST', url: `/${name}`, body: Buffer.from('{}'), transport: 'unix' });

  it('a full database is 507 STORAGE_FULL naming the file', async () => {
    writes = { full: fillDatabase(database()) };
    const result = await post('full');
    expect(result.status).toBe(507);
    expect(result.body).toEqual({
      error: expect.objectContaining({ code: 'STORAGE_FULL', message: expect.stringMatching(new RegExp(`^no space left to write ${database()} \\(SQLITE_FULL\\)`)) }),
    });
  });

  it('a database that cannot be written is STORAGE_UNAVAILABLE naming the file', async () => {
    writes = { readonly: writeReadOnly(database()) };
    const result = await post('readonly');
    expect(result.status).toBe(503);
    expect((result.body as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
      message: expect.stringMatching(new RegExp(`^${database()} cannot be written \\(SQLITE_READONLY`)),
    });
  });

  it('a file write that finds no space names the file it wrote', async () => {
    const target = path.join(dir, 'secrets.json');
    writes = {
      enospc: () => {
        throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', path: target });
      },
    };
    const result = await post('enospc');
    expect(result.status).toBe(507);
    expect((result.body as { error: { message: string } }).error.message).toMatch(new RegExp(`^no space left to write ${target} \\(ENOSPC\\)`));
  });
});

describe('doctor and the home', () => {
  const check = (home: string) => {
    const paths = resolvePaths({ env: { CODEPIPER_HOME: home, CODEPIPER_SOCKET: path.join(dir, 'd.sock') } });
    return runDoctor({ paths, env: {}, daemonRunning: false }).find((result) => result.name === 'home')!;
  };

  it('fails a home that is not a directory', () => {
    const home = path.join(dir, 'home');
    fs.writeFileSync(home, '');
    expect(check(home)).toMatchObject({ status: 'fail', required: true, detail: expect.stringContaining(`${home} is not a directory`) });
  });

  it('fails a home that cannot be created', () => {
    fs.writeFileSync(path.join(dir, 'file'), '');
    const home = path.join(dir, 'file', 'home');
    expect(check(home)).toMatchObject({ status: 'fail', required: true, detail: expect.stringContaining(`${home} cannot be created`) });
  });

  it('passes a home it can write', () => {
    const home = path.join(dir, 'home');
    fs.mkdirSync(home, { mode: 0o700 });
    expect(check(home)).toMatchObject({ status: 'ok' });
  });
});
