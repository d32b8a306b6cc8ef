import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/core/db/migrate';
import { migrations } from '../../src/core/db/migrations';
import { isAppError } from '../../src/core/errors';
import { resolveKeys } from '../../src/core/runner/tmux/keys';
import { KEY_NAMES } from '../../src/core/runner/keys';
import { stripAnsi } from '../../src/core/sessions/terminal';
import { SessionOutput } from '../../src/core/sessions/output';
import { canTransition, ENDED_STATES, LIVE_STATES, SESSION_STATES, stateForExit, type SessionState } from '../../src/core/sessions/state';
import { SessionStore, type SessionRecord } from '../../src/core/sessions/store';

const KiB = 1024;
const MiB = 1024 * 1024;

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('resolveKeys', () => {
  it('maps named keys to tmux keys', () => {
    expect(resolveKeys(['enter', 'return', 'esc', 'escape', 'tab', 'shift+tab', 'backspace', 'delete', 'space'])).toEqual([
      { key: 'Enter' },
      { key: 'Enter' },
      { key: 'Escape' },
      { key: 'Escape' },
      { key: 'Tab' },
      { key: 'BTab' },
      { key: 'BSpace' },
      { key: 'DC' },
      { key: 'Space' },
    ]);
    expect(resolveKeys(['up', 'down', 'left', 'right', 'home', 'end', 'pageup', 'pagedown'])).toEqual(
      ['Up', 'Down', 'Left', 'Right', 'Home', 'End', 'PPage', 'NPage'].map((key) => ({ key })),
    );
    expect(resolveKeys(['ctrl+c', 'alt+x', 'ctrl+up', 'alt+left', 'shift+right'])).toEqual(
      ['C-c', 'M-x', 'C-Up', 'M-Left', 'S-Right'].map((key) => ({ key })),
    );
  });

  it('maps f1..f12', () => {
    expect(resolveKeys(['f1', 'f5', 'f12'])).toEqual([{ key: 'F1' }, { key: 'F5' }, { key: 'F12' }]);
    expect(() => resolveKeys(['f13'])).toThrow(/unknown key "f13"/);
  });

  it('ignores case and whitespace, and accepts control+/meta+/option+ aliases', () => {
    expect(resolveKeys(['ENTER', ' Enter ', 'Shift + Tab', 'Ctrl+C', 'CONTROL+c', 'control + d', 'meta+x', 'Option+b', 'Page Up'])).toEqual(
      ['Enter', 'Enter', 'BTab', 'C-c', 'C-c', 'C-d', 'M-x', 'M-b', 'PPage'].map((key) => ({ key })),
    );
  });

  it('sends a single printable character as a literal, keeping its case', () => {
    expect(resolveKeys(['y', 'Y', '1', ' ', '/', '€', '😀'])).toEqual(['y', 'Y', '1', ' ', '/', '€', '😀'].map((literal) => ({ literal })));
  });

  it('returns an empty list for no names', () => {
    expect(resolveKeys([])).toEqual([]);
  });

  it('reports every unknown name at once, each with the nearest names, else the key names in short', () => {
    const error = caught(() => resolveKeys(['enter', 'bogus', 'y', 'ctrl+enter', '', '\u0007', '\u007f', 'ab']));
    expect(isAppError(error)).toBe(true);
    if (!isAppError(error)) return;
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.status).toBe(400);
    // JSON.stringify escapes C0 controls but not DEL, which appears raw.
    expect(error.message.startsWith('unknown keys "bogus", "ctrl+enter", "", "\\u0007", "\u007f", "ab" (did you mean tab?); key names are ')).toBe(true);
    expect(error.message).toContain('shift+tab');
    expect(error.message).toContain('ctrl+a to ctrl+z');
    expect(error.message).toContain('or type any single character');
    // Not all 110 names: a few words for the families.
    expect(error.message).not.toContain('ctrl+m');
    expect(error.message.length).toBeLessThan(400);
    expect(error.details).toEqual({ unknown: ['bogus', 'ctrl+enter', '', '\u0007', '\u007f', 'ab'], valid: KEY_NAMES });
  });

  it('uses the singular for one unknown name', () => {
    expect(() => resolveKeys(['nope'])).toThrow(/^unknown key "nope"; key names are enter, esc, tab/);
  });

  it('suggests the nearest names, and then lists nothing more', () => {
    expect(() => resolveKeys(['entr'])).toThrow(/^unknown key "entr" \(did you mean enter\?\)$/);
    expect(() => resolveKeys(['ctrl-c', 'y'])).toThrow(/^unknown key "ctrl-c" \(did you mean ctrl\+c\?\)$/);
  });

  it('lists names that all resolve to a key', () => {
    expect(KEY_NAMES).toContain('enter');
    expect(KEY_NAMES).toContain('ctrl+z');
    expect(KEY_NAMES).toContain('shift+left');
    expect(resolveKeys(KEY_NAMES).every((key) => 'key' in key && key.key.length > 0)).toBe(true);
  });
});

describe('session state machine', () => {
  const live = [...LIVE_STATES];
  const ended = [...ENDED_STATES];

  it('partitions the states into live and ended', () => {
    expect([...live, ...ended].sort()).toEqual([...SESSION_STATES].sort());
    expect(ended.sort()).toEqual(['crashed', 'stopped']);
  });

  it('never transitions a state to itself', () => {
    for (const state of SESSION_STATES) expect(canTransition(state, state), state).toBe(false);
  });

  it('lets an ended state leave only through starting', () => {
    for (const from of ended) {
      for (const to of SESSION_STATES) expect(canTransition(from, to), `${from}→${to}`).toBe(to === 'starting');
    }
  });

  it('never moves a live state to starting, and lets it reach any other state', () => {
    for (const from of live) {
      expect(canTransition(from, 'starting'), `${from}→starting`).toBe(false);
      for (const to of SESSION_STATES) {
        if (to !== from && to !== 'starting') expect(canTransition(from, to), `${from}→${to}`).toBe(true);
      }
    }
  });

  it('maps exits to states', () => {
    expect(stateForExit({ status: 0 }, false)).toBe('stopped');
    expect(stateForExit({ status: 1 }, false)).toBe('crashed');
    expect(stateForExit({ status: 137 }, false)).toBe('crashed');
    expect(stateForExit({ signal: 9 }, false)).toBe('crashed');
    expect(stateForExit({ status: 0, signal: 15 }, false)).toBe('crashed');
    expect(stateForExit({}, false)).toBe('crashed');
  });

  it('counts any exit after a requested stop as stopped', () => {
    const exits: Array<{ status?: number; signal?: number }> = [{ status: 0 }, { status: 1 }, { signal: 15 }, {}];
    for (const exit of exits) expect(stateForExit(exit, true)).toBe<SessionState>('stopped');
  });
});

describe('SessionOutput', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-output-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const concat = (chunks: Array<{ data: Buffer }>) => Buffer.concat(chunks.map((c) => c.data)).toString('latin1');

  it('creates its directory and starts at seq 0', () => {
    const sub = path.join(dir, 'sessions', 'abc');
    const output = new SessionOutput(sub);
    expect(fs.statSync(sub).isDirectory()).toBe(true);
    expect(output.seq).toBe(0);
    expect(output.since(0)).toEqual([]);
    expect(output.readPersistedTail(100).length).toBe(0);
  });

  it('numbers chunks by byte offset in the whole stream', () => {
    const output = new SessionOutput(dir);
    const a = output.append(Buffer.from('hello'));
    const b = output.append(Buffer.from('é!')); // 3 bytes
    const c = output.append(Buffer.from('xyz'));
    expect([a.seq, b.seq, c.seq]).toEqual([0, 5, 8]);
    expect(output.seq).toBe(11);
    expect(fs.readFileSync(path.join(dir, 'output.log'), 'utf8')).toBe('helloé!xyz');
  });

  it('returns chunks since a seq, cutting into a chunk when the seq falls inside it', () => {
    const output = new SessionOutput(dir);
    output.append(Buffer.from('abcde'));
    output.append(Buffer.from('fghij'));
    output.append(Buffer.from('klm'));
    expect(concat(output.since(0))).toBe('abcdefghijklm');
    expect(output.since(0).map((c) => c.seq)).toEqual([0, 5, 10]);
    const mid = output.since(7);
    expect(mid.map((c) => [c.seq, c.data.toString()])).toEqual([
      [7, 'hij'],
      [10, 'klm'],
    ]);
    expect(output.since(5).map((c) => [c.seq, c.data.toString()])).toEqual([
      [5, 'fghij'],
      [10, 'klm'],
    ]);
    expect(output.since(12).map((c) => [c.seq, c.data.toString()])).toEqual([[12, 'm']]);
    expect(output.since(13)).toEqual([]);
    expect(output.since(100)).toEqual([]);
    // Each returned chunk's seq + length lines up with the next.
    for (const [i, chunk] of mid.slice(0, -1).entries()) expect(chunk.seq + chunk.data.length).toBe(mid[i + 1]!.seq);
  });

  it('keeps about 256 KiB in memory, dropping the oldest chunks', () => {
    const output = new SessionOutput(dir);
    for (let i = 0; i < 100; i++) output.append(Buffer.alloc(10 * KiB, 65 + (i % 26)));
    expect(output.seq).toBe(1000 * KiB);
    const kept = output.since(0);
    const bytes = kept.reduce((n, c) => n + c.data.length, 0);
    expect(bytes).toBeLessThanOrEqual(256 * KiB);
    expect(bytes).toBeGreaterThan(256 * KiB - 10 * KiB);
    // What is left is the newest, contiguous, ending at the current seq.
    expect(kept.at(-1)!.seq + kept.at(-1)!.data.length).toBe(output.seq);
    for (let i = 1; i < kept.length; i++) expect(kept[i]!.seq).toBe(kept[i - 1]!.seq + kept[i - 1]!.data.length);
    expect(kept[0]!.seq).toBe(1000 * KiB - bytes);
    // A follower that fell behind gets what is left.
    expect(output.since(10)[0]!.seq).toBe(kept[0]!.seq);
  });

  it('keeps a single chunk larger than the memory bound', () => {
    const output = new SessionOutput(dir);
    output.append(Buffer.from('small'));
    output.append(Buffer.alloc(300 * KiB, 0x61));
    const kept = output.since(0);
    expect(kept).toHaveLength(1);
    expect(kept[0]!.seq).toBe(5);
    expect(kept[0]!.data.length).toBe(300 * KiB);
  });

  it('continues the seq and the tail in a new instance on the same directory', () => {
    const first = new SessionOutput(dir);
    first.append(Buffer.from('one '));
    first.append(Buffer.from('two '));
    const second = new SessionOutput(dir);
    expect(second.seq).toBe(8);
    expect(second.since(0)).toEqual([{ seq: 0, data: Buffer.from('one two ') }]);
    expect(second.since(4).map((c) => [c.seq, c.data.toString()])).toEqual([[4, 'two ']]);
    const next = second.append(Buffer.from('three'));
    expect(next.seq).toBe(8);
    expect(concat(second.since(0))).toBe('one two three');
    expect(second.readPersistedTail(100).toString()).toBe('one two three');
  });

  it('loads at most 256 KiB of the persisted tail, aligned with the seq', () => {
    const first = new SessionOutput(dir);
    const data = Buffer.alloc(400 * KiB);
    for (let i = 0; i < data.length; i++) data[i] = i % 251;
    first.append(data);
    const second = new SessionOutput(dir);
    const kept = second.since(0);
    expect(kept).toHaveLength(1);
    expect(kept[0]!.seq).toBe(144 * KiB);
    expect(kept[0]!.data.equals(data.subarray(144 * KiB))).toBe(true);
  });

  it('rotates past 2 MiB, keeping output.log.1, and the seq goes on across instances', () => {
    const output = new SessionOutput(dir);
    const log = path.join(dir, 'output.log');
    const block = (byte: number) => Buffer.alloc(512 * KiB, byte);
    for (let i = 0; i < 4; i++) output.append(block(0x61 + i)); // exactly 2 MiB: no rotation yet
    expect(fs.existsSync(`${log}.1`)).toBe(false);
    expect(fs.statSync(log).size).toBe(2 * MiB);
    output.append(Buffer.from('after-rotation'));
    expect(fs.statSync(`${log}.1`).size).toBe(2 * MiB);
    expect(fs.readFileSync(log, 'utf8')).toBe('after-rotation');
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'output.json'), 'utf8'))).toMatchObject({ rotatedBytes: 2 * MiB });
    expect(output.seq).toBe(2 * MiB + 14);

    const again = new SessionOutput(dir);
    expect(again.seq).toBe(2 * MiB + 14);
    // The reloaded tail spans the rotated file and the current one, and lines up with the seq.
    const kept = again.since(0);
    expect(kept).toHaveLength(1);
    expect(kept[0]!.seq).toBe(2 * MiB + 14 - 256 * KiB);
    expect(kept[0]!.data.length).toBe(256 * KiB);
    expect(kept[0]!.data.subarray(-14).toString()).toBe('after-rotation');
    expect(kept[0]!.data[0]).toBe(0x64);
    expect(kept[0]!.data.equals(again.readPersistedTail(256 * KiB))).toBe(true);
    const next = again.append(Buffer.from('!'));
    expect(next.seq).toBe(2 * MiB + 14);
    expect(again.seq).toBe(2 * MiB + 15);
    expect(fs.readFileSync(log, 'utf8')).toBe('after-rotation!');
    // 256 KiB + 1 is over the memory bound: the reloaded tail is dropped, the new chunk stays.
    expect(again.since(0)).toEqual([next]);
  });

  it('rotates again, adding up the rotated bytes', () => {
    const output = new SessionOutput(dir);
    output.append(Buffer.alloc(2 * MiB - 1, 0x61));
    output.append(Buffer.from('xy')); // rotation 1: 2 MiB - 1 rotated
    output.append(Buffer.alloc(2 * MiB, 0x62)); // rotation 2: 2 more bytes rotated
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'output.json'), 'utf8'))).toMatchObject({ rotatedBytes: 2 * MiB + 1 });
    expect(fs.readFileSync(path.join(dir, 'output.log.1'), 'utf8')).toBe('xy');
    expect(output.seq).toBe(4 * MiB + 1);
    expect(new SessionOutput(dir).seq).toBe(4 * MiB + 1);
  });

  it('does not rotate an empty file for one oversized write', () => {
    const output = new SessionOutput(dir);
    output.append(Buffer.alloc(3 * MiB, 0x61));
    expect(fs.existsSync(path.join(dir, 'output.log.1'))).toBe(false);
    expect(fs.statSync(path.join(dir, 'output.log')).size).toBe(3 * MiB);
  });

  it('reads a persisted tail spanning the rotated and the current file', () => {
    const output = new SessionOutput(dir);
    output.append(Buffer.concat([Buffer.alloc(2 * MiB - 10, 0x2e), Buffer.from('0123456789')]));
    output.append(Buffer.from('ABCDE'));
    expect(output.readPersistedTail(3).toString()).toBe('CDE');
    expect(output.readPersistedTail(5).toString()).toBe('ABCDE');
    expect(output.readPersistedTail(9).toString()).toBe('6789ABCDE');
    expect(output.readPersistedTail(15).toString()).toBe('0123456789ABCDE');
    // Asking for more than both files hold gives everything there is.
    expect(output.readPersistedTail(3 * MiB).length).toBe(2 * MiB + 5);
  });

  // BUG (reported, not fixed): rotation renames output.log before it writes output.json. If the daemon dies (or the
  // write fails) in between, the next instance counts the rotated file's tail but not its bytes: the reloaded chunk
  // gets a negative seq and the stream's seq goes backwards.
  it('counts output.log.1 when output.json is missing', () => {
    fs.writeFileSync(path.join(dir, 'output.log.1'), '0123456789');
    const output = new SessionOutput(dir);
    // Actual: seq 0, and the reloaded tail sits at seq -10, so since(0) cannot return it.
    expect(output.seq).toBe(10);
    expect(output.since(0)).toEqual([{ seq: 0, data: Buffer.from('0123456789') }]);
  });

  it('ignores an unreadable or invalid output.json', () => {
    fs.writeFileSync(path.join(dir, 'output.log'), 'abc');
    fs.writeFileSync(path.join(dir, 'output.json'), '{"rotatedBytes": -5}');
    expect(new SessionOutput(dir).seq).toBe(3);
    fs.writeFileSync(path.join(dir, 'output.json'), 'not json');
    expect(new SessionOutput(dir).seq).toBe(3);
    fs.writeFileSync(path.join(dir, 'output.json'), '{"rotatedBytes": 100}');
    const output = new SessionOutput(dir);
    expect(output.seq).toBe(103);
    expect(output.since(0)).toEqual([{ seq: 100, data: Buffer.from('abc') }]);
  });
});

describe('SessionStore', () => {
  let db: Database.Database;
  let store: SessionStore;
  beforeEach(() => {
    db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    migrate(db, migrations);
    store = new SessionStore(db);
  });
  afterEach(() => db.close());

  function record(overrides: Partial<SessionRecord> = {}): SessionRecord {
    return {
      id: 'a1b2c3d4',
      name: null,
      provider: 'claude-code',
      cwd: '/tmp/project',
      args: ['--model', 'opus'],
      envKeys: ['FOO'],
      envFrom: 'daemon',
      cleanEnv: false,
      envSetIds: [],
      workspaceId: null,
      dangerousMode: false,
      billingMode: null,
      cols: 120,
      rows: 40,
      tmuxSession: 'cp-a1b2c3d4',
      agentSessionId: null,
      transcriptPath: null,
      state: 'starting',
      stateSource: 'process',
      stateSince: '2024-01-01T00:00:00.000Z',
      exitCode: null,
      exitSignal: null,
      createdAt: '2024-01-01T00:00:00.000Z',
      updatedAt: '2024-01-01T00:00:00.000Z',
      worktree: null,
      ...overrides,
    };
  }

  it('round-trips a worktree through its seven columns, and marks it removed', () => {
    const worktree = { repoRoot: '/src/app', path: '/src/app.worktrees/web', branch: 'cp/web', baseRef: 'main', baseCommit: 'a'.repeat(40), createdBranch: true, removedAt: null };
    const full = record({ id: 'beef0001', tmuxSession: 'cp-beef0001', worktree });
    store.insert(full);
    expect(store.get('beef0001')).toEqual(full);
    store.setWorktreeRemoved('beef0001', '2024-02-02T00:00:00.000Z');
    expect(store.get('beef0001')!.worktree).toEqual({ ...worktree, removedAt: '2024-02-02T00:00:00.000Z' });
    const existing = record({ id: 'beef0002', tmuxSession: 'cp-beef0002', worktree: { ...worktree, path: '/w2', createdBranch: false } });
    store.insert(existing);
    expect(store.get('beef0002')!.worktree!.createdBranch).toBe(false);
  });

  it('round-trips a record through insert and get', () => {
    const full = record({ name: 'web', dangerousMode: true, billingMode: 'api', agentSessionId: 'uuid-1', envKeys: [], args: [] });
    store.insert(full);
    expect(store.get(full.id)).toEqual(full);
    const plain = record({ id: 'ffff0000', tmuxSession: 'cp-ffff0000', createdAt: '2024-01-02T00:00:00.000Z' });
    store.insert(plain);
    expect(store.get('ffff0000')).toEqual(plain);
    expect(store.get('nope')).toBeUndefined();
    expect(store.all().map((r) => r.id)).toEqual(['a1b2c3d4', 'ffff0000']);
  });

  it('orders all() by creation time, then id', () => {
    store.insert(record({ id: 'cc', createdAt: '2024-01-02T00:00:00.000Z' }));
    store.insert(record({ id: 'bb', createdAt: '2024-01-01T00:00:00.000Z' }));
    store.insert(record({ id: 'aa', createdAt: '2024-01-02T00:00:00.000Z' }));
    expect(store.all().map((r) => r.id)).toEqual(['bb', 'aa', 'cc']);
  });

  it('finds by name, and names are unique', () => {
    store.insert(record({ id: 'aaaa1111', name: 'web' }));
    store.insert(record({ id: 'bbbb2222', name: null }));
    store.insert(record({ id: 'cccc3333', name: null })); // several unnamed sessions are fine
    expect(store.byName('web')?.id).toBe('aaaa1111');
    expect(store.byName('api')).toBeUndefined();
    expect(() => store.insert(record({ id: 'dddd4444', name: 'web' }))).toThrow(/UNIQUE/);
  });

  it('finds by id prefix, returning two when the prefix is ambiguous', () => {
    store.insert(record({ id: 'ab12cd34' }));
    store.insert(record({ id: 'ab99ef00' }));
    store.insert(record({ id: 'ab98ef01' }));
    store.insert(record({ id: 'ff000000' }));
    expect(store.byPrefix('ab12').map((r) => r.id)).toEqual(['ab12cd34']);
    expect(store.byPrefix('ff').map((r) => r.id)).toEqual(['ff000000']);
    expect(store.byPrefix('ab')).toHaveLength(2);
    expect(store.byPrefix('ab9')).toHaveLength(2);
    expect(store.byPrefix('zz')).toEqual([]);
  });

  // BUG (reported, not fixed): byPrefix strips LIKE wildcards instead of escaping them, so '%'/'_' in a ref are
  // dropped and the rest matches more than ids starting with the ref. These document the current behaviour.
  it('a prefix containing % or _ matches only ids that really start with it', () => {
    store.insert(record({ id: 'ab12cd34' }));
    expect(store.byPrefix('__')).toEqual([]);
  });

  it('updates state, exit, name, size and the agent session id', () => {
    store.insert(record());
    store.setState('a1b2c3d4', 'crashed', 'process', '2024-01-01T00:05:00.000Z', { code: 1, signal: null });
    let got = store.get('a1b2c3d4')!;
    expect([got.state, got.stateSource, got.stateSince, got.updatedAt, got.exitCode, got.exitSignal]).toEqual([
      'crashed',
      'process',
      '2024-01-01T00:05:00.000Z',
      '2024-01-01T00:05:00.000Z',
      1,
      null,
    ]);
    store.setState('a1b2c3d4', 'idle', 'screen', '2024-01-01T00:06:00.000Z', { code: null, signal: null });
    got = store.get('a1b2c3d4')!;
    expect([got.state, got.stateSource, got.exitCode]).toEqual(['idle', 'screen', null]);
    store.setState('a1b2c3d4', 'crashed', 'process', '2024-01-01T00:07:00.000Z', { code: null, signal: 9 });
    expect(store.get('a1b2c3d4')!.exitSignal).toBe(9);

    store.setName('a1b2c3d4', 'renamed', '2024-01-01T01:00:00.000Z');
    expect(store.byName('renamed')?.updatedAt).toBe('2024-01-01T01:00:00.000Z');
    store.setName('a1b2c3d4', null, '2024-01-01T01:00:01.000Z');
    expect(store.byName('renamed')).toBeUndefined();
    store.setSize('a1b2c3d4', 80, 24, '2024-01-01T02:00:00.000Z');
    expect(store.get('a1b2c3d4')).toMatchObject({ cols: 80, rows: 24, updatedAt: '2024-01-01T02:00:00.000Z' });
    store.setAgentSessionId('a1b2c3d4', 'agent-xyz', '2024-01-01T03:00:00.000Z');
    expect(store.get('a1b2c3d4')).toMatchObject({ agentSessionId: 'agent-xyz', updatedAt: '2024-01-01T03:00:00.000Z' });
    // The creation time never moves.
    expect(store.get('a1b2c3d4')!.createdAt).toBe('2024-01-01T00:00:00.000Z');
  });

  it('records events and pages through them with a source filter and a total', () => {
    store.insert(record());
    store.insert(record({ id: 'other000', tmuxSession: 'cp-other000' }));
    const sources = ['process', 'user', 'screen', 'user', 'process', 'user'];
    const added = sources.map((source, i) => store.addEvent('a1b2c3d4', `2024-01-01T00:00:0${i}.000Z`, source, `t${i}`, { i }));
    store.addEvent('other000', '2024-01-01T00:00:00.000Z', 'user', 'elsewhere', {});
    expect(added[0]).toEqual({ id: added[0]!.id, sessionId: 'a1b2c3d4', at: '2024-01-01T00:00:00.000Z', source: 'process', type: 't0', data: { i: 0 } });
    expect(new Set(added.map((e) => e.id)).size).toBe(6);

    const all = store.events('a1b2c3d4', { limit: 100, offset: 0 });
    expect(all.total).toBe(6);
    expect(all.events.map((e) => e.type)).toEqual(['t0', 't1', 't2', 't3', 't4', 't5']);
    expect(all.events).toEqual(added);

    const page = store.events('a1b2c3d4', { limit: 2, offset: 2 });
    expect(page.total).toBe(6);
    expect(page.events.map((e) => e.type)).toEqual(['t2', 't3']);

    const user = store.events('a1b2c3d4', { source: 'user', limit: 2, offset: 0 });
    expect(user.total).toBe(3);
    expect(user.events.map((e) => e.type)).toEqual(['t1', 't3']);
    expect(store.events('a1b2c3d4', { source: 'user', limit: 10, offset: 2 }).events.map((e) => e.type)).toEqual(['t5']);
    expect(store.events('a1b2c3d4', { source: 'user', limit: 10, offset: 5 })).toEqual({ total: 3, events: [] });
    expect(store.events('a1b2c3d4', { source: undefined, limit: 1, offset: 5 }).events.map((e) => e.type)).toEqual(['t5']);
    expect(store.events('a1b2c3d4', { source: 'hook', limit: 10, offset: 0 })).toEqual({ total: 0, events: [] });
    expect(store.events('nobody', { limit: 10, offset: 0 })).toEqual({ total: 0, events: [] });
  });

  it('refuses events for an unknown session (foreign key)', () => {
    expect(() => store.addEvent('missing', '2024-01-01T00:00:00.000Z', 'user', 'x', {})).toThrow(/FOREIGN KEY/);
  });

  it('works on a file database too, across reopen', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-store-'));
    try {
      const file = path.join(dir, 'codepiper.db');
      const first = new Database(file);
      migrate(first, migrations);
      new SessionStore(first).insert(record({ name: 'persisted' }));
      first.close();
      const second = new Database(file);
      migrate(second, migrations);
      expect(new SessionStore(second).byName('persisted')?.id).toBe('a1b2c3d4');
      second.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('stripAnsi', () => {
  it('removes CSI colour and cursor sequences', () => {
    expect(stripAnsi('\u001b[31mred\u001b[0m plain \u001b[1;38;5;208mbold\u001b[m')).toBe('red plain bold');
    expect(stripAnsi('a\u001b[2Kb\u001b[10;20Hc\u001b[?25ld')).toBe('abcd');
  });

  it('removes OSC sequences ended by BEL or ST', () => {
    expect(stripAnsi('\u001b]0;window title\u0007text')).toBe('text');
    expect(stripAnsi('\u001b]8;;https://example.com\u001b\\link\u001b]8;;\u001b\\')).toBe('link');
  });

  it('removes two-byte escapes in the @..._ range', () => {
    expect(stripAnsi('\u001bMup\u001bDdown\u001bEnext')).toBe('updownnext');
    expect(stripAnsi('\u001b[?1049h\u001b[H\u001b[2J')).toBe('');
  });

  // BUG (reported, not fixed): ESC followed by a byte outside 0x40-0x5F is left in the text: DECSC/DECRC (ESC 7, ESC 8),
  // keypad modes (ESC =, ESC >), full reset (ESC c) and charset designations (ESC ( B, which `tput sgr0` emits).
  it('removes ESC ( B, ESC 7/8 and ESC =/>', () => {
    expect(stripAnsi('\u001b(B\u001b[mtext')).toBe('text');
    expect(stripAnsi('\u001b7a\u001b8\u001b=b\u001b>\u001bc')).toBe('ab');
  });

  it('turns a lone CR into a newline and keeps CRLF', () => {
    expect(stripAnsi('progress 10%\rprogress 20%')).toBe('progress 10%\nprogress 20%');
    expect(stripAnsi('line1\r\nline2\r')).toBe('line1\r\nline2\n');
  });

  it('leaves plain text and UTF-8 alone', () => {
    expect(stripAnsi('❯ héllo ─── ✻ Thinking…')).toBe('❯ héllo ─── ✻ Thinking…');
  });
});
