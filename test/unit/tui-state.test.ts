import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { completeDirectory, splitArgs } from '../../src/tui/completion';
import { safe, screenLine, shortPath } from '../../src/tui/format';
import { BINDINGS, helpSections, keyName, routeKey, splitKeys, type Command } from '../../src/tui/keybindings';
import { initialState, OUTPUT_LINES, reducer, type Action, type AppState, type Session } from '../../src/tui/state';
import { sessionFixture } from '../helpers/session-fixture';

function session(id: string, state: Session['state'], createdAt: string, name: string | null = id): Session {
  return sessionFixture({ id, name, state, createdAt });
}

const apply = (state: AppState, ...actions: Action[]) => actions.reduce(reducer, state);
const ids = (state: AppState) => state.sessions.map((s) => s.id);

describe('the sessions list', () => {
  const list = [
    session('a', 'idle', '2026-11-01T10:00:00Z'),
    session('b', 'running', '2026-11-01T11:00:00Z'),
    session('c', 'stopped', '2026-11-01T12:00:00Z'),
    session('d', 'needs_permission', '2026-11-01T09:00:00Z'),
    session('e', 'needs_input', '2026-11-01T08:00:00Z'),
    session('f', 'idle', '2026-11-01T13:00:00Z'),
  ];

  it('puts sessions waiting for the user first, then live ones, then ended ones; newest first within each', () => {
    const state = apply(initialState(), { type: 'sessions/loaded', sessions: list });
    expect(ids(state)).toEqual(['d', 'e', 'b', 'f', 'a', 'c']);
    expect(state.selectedId).toBe('d');
  });

  it('keeps the selection on the same session when a change reorders the list', () => {
    let state = apply(initialState(), { type: 'sessions/loaded', sessions: list }, { type: 'select/move', delta: 3 });
    expect(state.selectedId).toBe('f');
    state = apply(state, { type: 'sessions/upsert', session: { ...list[5]!, state: 'needs_permission', stateSince: '2026-11-01T14:00:00Z' } });
    expect(ids(state)[0]).toBe('f');
    expect(state.selectedId).toBe('f');
  });

  it('moves within bounds and jumps to either end', () => {
    let state = apply(initialState(), { type: 'sessions/loaded', sessions: list }, { type: 'select/move', delta: -1 });
    expect(state.selectedId).toBe('d');
    state = apply(state, { type: 'select/move', delta: 99 });
    expect(state.selectedId).toBe('c');
    state = apply(state, { type: 'select/edge', edge: 'first' });
    expect(state.selectedId).toBe('d');
    state = apply(state, { type: 'select/edge', edge: 'last' }, { type: 'select/session', id: 'b' });
    expect(state.selectedId).toBe('b');
  });

  it('ignores output of a session that is no longer selected, and bounds what it keeps', () => {
    let state = apply(initialState(), { type: 'sessions/loaded', sessions: list });
    state = apply(state, { type: 'output/loaded', sessionId: 'a', text: 'not shown' });
    expect(state.output.lines).toEqual([]);
    const long = Array.from({ length: OUTPUT_LINES + 50 }, (_, i) => `line ${i}`).join('\n');
    state = apply(state, { type: 'output/loaded', sessionId: 'd', text: long });
    expect(state.output.lines).toHaveLength(OUTPUT_LINES);
    expect(state.output.lines.at(-1)).toBe(`line ${OUTPUT_LINES + 49}`);
  });

  it('keeps a reader in place when the kept lines are at their bound and old ones drop off the top', () => {
    const text = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `line ${from + i}`).join('\n');
    let state = apply(initialState(), { type: 'sessions/loaded', sessions: list }, { type: 'output/loaded', sessionId: 'd', text: text(0, OUTPUT_LINES) });
    state = apply(state, { type: 'output/scroll', delta: 10 });
    const bottomLine = (s: AppState) => s.output.lines[s.output.lines.length - 1 - s.output.scroll];
    expect(bottomLine(state)).toBe(`line ${OUTPUT_LINES - 11}`);
    state = apply(state, { type: 'output/loaded', sessionId: 'd', text: text(50, OUTPUT_LINES + 50) });
    expect(bottomLine(state)).toBe(`line ${OUTPUT_LINES - 11}`);
    expect(state.output.scroll).toBe(60);
  });

  it('matches a repeated block by its nearest copy, and never jumps a reader back to following', () => {
    const screen = (n: number) => [`para ${n}`, '', '────────', ''];
    const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => screen(from + i)).flat().join('\n');
    let state = apply(initialState(), { type: 'sessions/loaded', sessions: list }, { type: 'output/loaded', sessionId: 'd', text: lines(0, 100) });
    state = apply(state, { type: 'output/scroll', delta: 41 }); // the view ends just under "para 89"
    const bottomLine = (s: AppState) => s.output.lines.length - 1 - s.output.scroll;
    const near = (s: AppState) => s.output.lines.slice(Math.max(0, bottomLine(s) - 4), bottomLine(s) + 1).find((line) => line.startsWith('para'));
    expect(near(state)).toBe('para 89');
    state = apply(state, { type: 'output/loaded', sessionId: 'd', text: lines(0, 110) });
    expect(near(state)).toBe('para 89');
    state = apply(state, { type: 'output/loaded', sessionId: 'd', text: 'the screen was cleared' });
    expect(state.output.scroll).toBeGreaterThan(0);
  });

  it('keeps a reader scrolled back in place while output grows, and follows again on request', () => {
    let state = apply(initialState(), { type: 'sessions/loaded', sessions: list }, { type: 'output/loaded', sessionId: 'd', text: 'one\ntwo\nthree' });
    state = apply(state, { type: 'output/scroll', delta: 2 });
    expect(state.output.scroll).toBe(2);
    state = apply(state, { type: 'output/loaded', sessionId: 'd', text: 'one\ntwo\nthree\nfour\nfive' });
    expect(state.output.scroll).toBe(4); // still looking at "one"
    state = apply(state, { type: 'output/scroll', delta: 100 });
    expect(state.output.scroll).toBe(4); // never past the first line
    state = apply(state, { type: 'output/follow' });
    expect(state.output.scroll).toBe(0);
  });
});

describe('typing: prompts and the new-session form', () => {
  const prompt = (value: string): AppState => ({ ...initialState(), overlay: { kind: 'prompt', purpose: 'send', label: 'x', value, sessionId: 'a' } });
  const value = (state: AppState) => (state.overlay?.kind === 'prompt' ? state.overlay.value : undefined);

  it('edits the line: insert, backspace, clear, delete a word; newlines in a paste become spaces', () => {
    expect(value(apply(prompt('fix'), { type: 'prompt/edit', edit: { insert: ' the\nbug' } }))).toBe('fix the bug');
    expect(value(apply(prompt('héllo'), { type: 'prompt/edit', edit: { key: 'backspace' } }))).toBe('héll');
    expect(value(apply(prompt('two words '), { type: 'prompt/edit', edit: { key: 'delete-word' } }))).toBe('two ');
    expect(value(apply(prompt('gone'), { type: 'prompt/edit', edit: { key: 'clear' } }))).toBe('');
  });

  it('cycles fields and providers, and types only into text fields', () => {
    const form: AppState = {
      ...initialState(),
      overlay: { kind: 'form', form: { provider: 'claude-code', cwd: '/w', name: '', args: '', field: 'provider', completions: [], error: null } },
    };
    let state = apply(form, { type: 'form/edit', edit: { insert: 'x' } }, { type: 'form/provider', delta: -1 });
    expect(state.overlay).toMatchObject({ form: { provider: 'command', cwd: '/w', name: '' } });
    state = apply(state, { type: 'form/field', delta: 1 }, { type: 'form/field', delta: 1 }, { type: 'form/edit', edit: { insert: 'api' } });
    expect(state.overlay).toMatchObject({ form: { field: 'name', name: 'api' } });
    state = apply(state, { type: 'form/field', delta: -1 }, { type: 'form/field', delta: -1 }, { type: 'form/field', delta: -1 });
    expect(state.overlay).toMatchObject({ form: { field: 'args' } });
  });
});

describe('answers that arrive late', () => {
  it('drops a conversation that arrives after its viewer was closed or replaced', () => {
    const viewer: AppState = { ...initialState(), overlay: { kind: 'transcript', title: 't', messages: [], total: 0, scroll: 0, loading: true, request: 2 } };
    const loaded: Extract<Action, { type: 'transcript/loaded' }> = { type: 'transcript/loaded', request: 2, title: 'done', messages: [], total: 5 };
    expect(apply(viewer, loaded).overlay).toMatchObject({ title: 'done', loading: false, total: 5 });
    expect(apply(viewer, { ...loaded, request: 1 }).overlay).toMatchObject({ loading: true });
    const prompt: AppState = { ...viewer, overlay: { kind: 'prompt', purpose: 'search', label: 's', value: 'typed', sessionId: null } };
    expect(apply(prompt, loaded).overlay).toMatchObject({ kind: 'prompt', value: 'typed' });
  });

  it("drops an audit page for a filter that was changed meanwhile", () => {
    const filtered = apply(initialState(), { type: 'audit/filter', sessionId: 'abc' });
    expect(apply(filtered, { type: 'audit/loaded', sessionFilter: null, decisions: [], total: 9 }).audit).toMatchObject({ total: 0, loaded: false });
    expect(apply(filtered, { type: 'audit/loaded', sessionFilter: 'abc', decisions: [], total: 1 }).audit).toMatchObject({ total: 1, loaded: true });
  });
});

describe('other screens', () => {
  it('drops a search answer to a query that was replaced meanwhile', () => {
    let state = apply(initialState(), { type: 'search/start', query: 'first' }, { type: 'search/start', query: 'second' });
    state = apply(state, { type: 'search/loaded', query: 'first', hits: [], total: 7, totalExact: true });
    expect(state.search).toMatchObject({ query: 'second', loading: true, total: 0 });
    state = apply(state, { type: 'search/failed', query: 'second', error: 'search query "second" is not valid' });
    expect(state.search).toMatchObject({ loading: false, error: 'search query "second" is not valid' });
  });

  it('cycles the analytics range both ways', () => {
    expect(apply(initialState(), { type: 'analytics/range', delta: 1 }).analytics.range).toBe('30d');
    expect(apply(initialState(), { type: 'analytics/range', delta: -1 }, { type: 'analytics/range', delta: -1 }).analytics.range).toBe('all'); // 7d, today, then round to all
  });

  it('scrolls the help within the length it is given, one screen short of the end', () => {
    const help: AppState = { ...initialState({ columns: 80, rows: 24 }), overlay: { kind: 'help', scroll: 0 } };
    const scroll = (state: AppState) => (state.overlay?.kind === 'help' ? state.overlay.scroll : undefined);
    expect(scroll(apply(help, { type: 'help/scroll', delta: 5, lines: 30 }))).toBe(5);
    expect(scroll(apply(help, { type: 'help/scroll', delta: 50, lines: 30 }))).toBe(30 - (24 - 5));
    expect(scroll(apply(help, { type: 'help/scroll', delta: 5, lines: 10 }))).toBe(0);
    expect(scroll(apply(help, { type: 'help/scroll', delta: -5, lines: 30 }))).toBe(0);
  });

  it('steps through the screens, closing whatever overlay was open', () => {
    const state = apply({ ...initialState(), overlay: { kind: 'help', scroll: 0 } }, { type: 'screen/step', delta: -1 });
    expect(state.screen).toBe('search');
    expect(state.overlay).toBeNull();
  });
});

describe('the keybinding table and the key router', () => {
  it('names keys the way the table spells them', () => {
    expect(keyName('j', {})).toBe('j');
    expect(keyName('G', { shift: true })).toBe('G');
    expect(keyName('', { upArrow: true })).toBe('up');
    expect(keyName('', { tab: true, shift: true })).toBe('shift+tab');
    expect(keyName('c', { ctrl: true })).toBe('ctrl+c');
    expect(keyName('', { delete: true })).toBe('backspace');
    expect(keyName(' ', {})).toBe('space');
  });

  it('splits a burst into keys, except text typed into a field', () => {
    const plain = initialState();
    expect(splitKeys(plain, 'kk', {})).toEqual([{ input: 'k', key: {} }, { input: 'k', key: {} }]);
    expect(splitKeys(plain, 'jG', {})).toEqual([{ input: 'j', key: {} }, { input: 'G', key: {} }]);
    // A paste that lands on a screen does nothing: letter by letter it would kill (x, y), stop (s), attach (Enter).
    expect(splitKeys(plain, 'xy', {})).toEqual([]);
    expect(splitKeys(plain, 'i\r', {})).toEqual([]);
    expect(splitKeys(plain, 'Oxygen', {})).toEqual([]);
    expect(splitKeys(plain, '', { upArrow: true })).toEqual([{ input: '', key: { upArrow: true } }]);
    const typing: AppState = { ...plain, overlay: { kind: 'prompt', purpose: 'send', label: 'x', value: '', sessionId: 'a' } };
    expect(splitKeys(typing, 'two words', {})).toEqual([{ input: 'two words', key: {} }]);
    expect(routeKey(typing, 'one\ttwo', {})).toEqual({ edit: { insert: 'one two' } });
    expect(splitKeys(typing, 'a\r\nb\n', {})).toEqual([{ input: 'a\nb', key: {} }, { input: '\r', key: { return: true } }]);
  });

  it('has no key bound twice in one scope, and puts every binding in the help', () => {
    const seen = new Set<string>();
    for (const binding of BINDINGS) {
      for (const key of binding.keys) {
        expect(seen.has(`${binding.scope}:${key}`), `${key} is bound twice in ${binding.scope}`).toBe(false);
        seen.add(`${binding.scope}:${key}`);
      }
    }
    const rows = helpSections().flatMap((section) => section.rows);
    expect(rows).toHaveLength(BINDINGS.length);
    expect(rows.map((row) => row.description)).toEqual(expect.arrayContaining(BINDINGS.map((binding) => binding.description)));
  });

  it('routes by screen first, then global keys', () => {
    const state = initialState();
    const route = (input: string, key = {}, over: Partial<AppState> = {}) => routeKey({ ...state, ...over }, input, key);
    expect(route('y')).toEqual({ command: 'session.approve' });
    expect(route('s')).toEqual({ command: 'session.stop' });
    expect(route('s', {}, { screen: 'audit' })).toEqual({ command: 'audit.selected-session' });
    expect(route('j', {}, { screen: 'policies' })).toEqual({ command: 'select.next' });
    expect(route('', { return: true }, { screen: 'search' })).toEqual({ command: 'search.open' });
    expect(route('z')).toBeNull();
    expect(route('c', { ctrl: true })).toEqual({ command: 'quit' });
  });

  it('gives the keyboard to an open prompt: letters are text, Enter sends, Esc cancels', () => {
    const state: AppState = { ...initialState(), overlay: { kind: 'prompt', purpose: 'send', label: 'x', value: '', sessionId: 'a' } };
    expect(routeKey(state, 'q', {})).toEqual({ edit: { insert: 'q' } });
    expect(routeKey(state, 'y', {})).toEqual({ edit: { insert: 'y' } });
    expect(routeKey(state, 'paste of many words', {})).toEqual({ edit: { insert: 'paste of many words' } });
    expect(routeKey(state, '', { return: true })).toEqual({ command: 'prompt.submit' });
    expect(routeKey(state, '', { escape: true })).toEqual({ command: 'overlay.close' });
    expect(routeKey(state, 'u', { ctrl: true })).toEqual({ edit: { key: 'clear' } });
    expect(routeKey(state, '\u001b[1;5A', {})).toBeNull();
  });

  it('closes help and confirmations on any other key; only y confirms', () => {
    const help: AppState = { ...initialState(), overlay: { kind: 'help', scroll: 0 } };
    expect(routeKey(help, 'x', {})).toEqual({ command: 'overlay.close' });
    expect(routeKey(help, 'j', {})).toEqual({ command: 'help.down' });
    const confirm: AppState = { ...initialState(), overlay: { kind: 'confirm', message: 'kill?', sessionId: 'a' } };
    expect(routeKey(confirm, 'y', {})).toEqual({ command: 'confirm.yes' });
    expect(routeKey(confirm, 'Y', {})).toEqual({ command: 'overlay.close' });
    expect(routeKey(confirm, '', { return: true })).toEqual({ command: 'overlay.close' });
  });

  it('binds every command to at least one key', () => {
    // A Record over the Command union: the typecheck fails when a command is missing here, the test when one has no key.
    const every: Record<Command, true> = {
      'quit': true, 'help': true, 'screen.next': true, 'screen.prev': true, 'screen.sessions': true,
      'screen.policies': true, 'screen.audit': true, 'screen.analytics': true, 'screen.search': true,
      'select.next': true, 'select.prev': true, 'select.first': true, 'select.last': true, 'session.attach': true,
      'session.send': true, 'session.keys': true, 'session.approve': true, 'session.deny': true, 'session.stop': true,
      'session.kill': true, 'session.resume': true, 'session.rename': true, 'session.new': true, 'output.up': true,
      'output.down': true, 'output.follow': true, 'policy.toggle': true, 'policy.rules': true, 'audit.filter': true,
      'audit.selected-session': true, 'audit.clear-filter': true, 'analytics.next-range': true,
      'analytics.prev-range': true, 'search.edit': true, 'search.open': true, 'refresh': true, 'overlay.close': true,
      'prompt.submit': true, 'confirm.yes': true, 'form.submit': true, 'form.next': true, 'form.prev': true,
      'form.complete': true, 'form.provider-next': true, 'form.provider-prev': true, 'transcript.up': true,
      'transcript.down': true, 'transcript.page-up': true, 'transcript.page-down': true, 'help.down': true,
      'help.up': true, 'review.open': true, 'review.close': true, 'review.next': true, 'review.prev': true,
      'review.first': true, 'review.last': true, 'review.page-down': true, 'review.page-up': true,
      'review.line-down': true, 'review.line-up': true, 'review.top': true, 'review.bottom': true, 'review.more': true,
      'review.stage': true, 'review.unstage': true, 'review.commit': true, 'review.turn-next': true,
      'review.turn-prev': true, 'review.working': true,
    };

    const bound = new Set<Command>(BINDINGS.map((binding) => binding.command));
    for (const command of Object.keys(every) as Command[]) expect(bound.has(command), `${command} has no key`).toBe(true);
  });
});

describe('completion and argument lines', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-complete-'));
  for (const name of ['project-api', 'project-web', 'docs', '.hidden']) fs.mkdirSync(path.join(dir, name));
  fs.writeFileSync(path.join(dir, 'project-notes.txt'), '');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('grows the typed path to what all matching directories share, and lists them', () => {
    expect(completeDirectory(`${dir}/pro`, '/')).toEqual({ value: `${dir}/project-`, candidates: ['project-api', 'project-web'] });
    expect(completeDirectory(`${dir}/d`, '/')).toEqual({ value: `${dir}/docs/`, candidates: [] });
    expect(completeDirectory(`${dir}/zzz`, '/')).toEqual({ value: `${dir}/zzz`, candidates: [] });
    expect(completeDirectory(`${dir}/.h`, '/').value).toBe(`${dir}/.hidden/`);
    expect(completeDirectory('pro', dir)).toEqual({ value: 'project-', candidates: ['project-api', 'project-web'] });
    expect(completeDirectory('~/d', '/', dir)).toEqual({ value: '~/docs/', candidates: [] });
    expect(completeDirectory('/no/such/dir/x', '/')).toEqual({ value: '/no/such/dir/x', candidates: [] });
    // What was typed stays as typed: "..", "." and "~" are not rewritten.
    expect(completeDirectory('../d', path.join(dir, 'docs'))).toEqual({ value: '../docs/', candidates: [] });
    expect(completeDirectory('./pro', dir)).toEqual({ value: './project-', candidates: ['project-api', 'project-web'] });
    expect(completeDirectory('..', dir)).toEqual({ value: '../', candidates: [] });
  });

  it('splits an argument line like a shell, without expanding anything', () => {
    expect(splitArgs(`--model opus -p 'two words' "say \\"hi\\"" a\\ b $HOME`)).toEqual(['--model', 'opus', '-p', 'two words', 'say "hi"', 'a b', '$HOME']);
    expect(splitArgs('  ')).toEqual([]);
    expect(splitArgs("''")).toEqual(['']);
    expect(() => splitArgs('"open')).toThrow(/unclosed " at column 1/);
    expect(() => splitArgs("a 'b")).toThrow(/unclosed ' at column 3/);
  });
});

describe('drawing captured screens', () => {
  it('makes outside text safe: no escape sequence or control survives, tabs become spaces', () => {
    expect(safe('a\u001b]2;PWNED\u0007 \r\rOVER\tX\u001b[31mred\u001b[0m\nnext')).toBe('a OVER    Xred next');
    expect(safe('one\ntwo\u009b2J', true)).toBe('one\ntwo');
    expect(safe(null)).toBe('');
  });

  it('keeps colours, drops cursor moves, titles and controls, and resets at the end of the line', () => {
    const line = '\u001b[31mred\u001b[0m \u001b[2J\u001b[Hx\u001b]0;title\u0007y\tz\u001b(B\u0007';
    expect(screenLine(line, true)).toBe('\u001b[31mred\u001b[0m xy    z\u001b[0m');
    expect(screenLine(line, false)).toBe('red xy    z');
    expect(screenLine('plain', true)).toBe('plain');
  });

  it('shortens directories from the left, home as ~', () => {
    expect(shortPath('/home/ada/src/codepiper', 80, '/home/ada')).toBe('~/src/codepiper');
    expect(shortPath('/very/long/path/to/project', 12, '/home/ada')).toBe('…/to/project');
  });
});
