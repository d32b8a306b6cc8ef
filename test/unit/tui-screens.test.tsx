// Every screen of the dashboard drawn from fixed data with ink-testing-library and driven with keys. The controller
// is the real one; only the daemon is replaced by a link that answers from the fixtures below and records each call
// (the end-to-end test in test/integration/tui.test.ts runs the same dashboard against a real daemon).
import type { StreamArgs } from '../../src/core/api/events';
import { vi } from 'vitest';

// Colour must be on for the NO_COLOR test to mean anything: chalk decides when it is first loaded.
vi.hoisted(() => {
  process.env.FORCE_COLOR = '1';
});

import { render } from 'ink-testing-library';
import stringWidth from 'string-width';
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors';
import { App } from '../../src/tui/App';
import { Controller, type Host } from '../../src/tui/controller';
import type { DaemonLink } from '../../src/tui/link';
import { initialState, type Decision, type Policy, type Session } from '../../src/tui/state';
import { createStore } from '../../src/tui/store';
import { sessionFixture } from '../helpers/session-fixture';
import { waitFor } from '../helpers/wait';

const NOW = Date.parse('2026-11-23T12:00:00Z');

function session(id: string, name: string, state: Session['state'], minutesAgo: number, provider: Session['provider'] = 'claude-code'): Session {
  return sessionFixture({ id, name, provider, cwd: `/work/${name}`, state, createdAt: new Date(NOW - minutesAgo * 60_000).toISOString() });
}

const SESSIONS = [session('aaaa1111', 'builder', 'idle', 5), session('bbbb2222', 'reviewer', 'needs_permission', 2, 'codex'), session('cccc3333', 'old-run', 'stopped', 90)];
const OUTPUT: Record<string, string> = {
  aaaa1111: '\u001b[32m✻ builder ready\u001b[0m\n> make test\n● 42 tests passed',
  bbbb2222: 'Would you like to run the following command?\n  rm -rf dist\n› 1. Yes, proceed',
  cccc3333: 'bye',
};
const POLICIES: Policy[] = [
  {
    id: 'p1',
    name: 'safe-git',
    description: 'git is fine',
    enabled: true,
    priority: 10,
    sessionId: null,
    rules: [{ action: 'allow', tool: 'Bash', args: { command: 'git *' } }, { action: 'deny', tool: 'Bash', args: { command: 'git push --force*' }, reason: 'no force pushes' }],
    createdAt: '2026-11-01T00:00:00Z',
    updatedAt: '2026-11-01T00:00:00Z',
  },
  { id: 'p2', name: 'no-network', description: null, enabled: false, priority: 5, sessionId: 'aaaa1111', rules: [{ action: 'deny', tool: 'WebFetch' }], createdAt: '2026-11-01T00:00:00Z', updatedAt: '2026-11-01T00:00:00Z' },
];
const DECISIONS: Decision[] = [
  { id: 2, at: '2026-11-23T11:59:00Z', sessionId: 'bbbb2222', event: 'PreToolUse', policyId: 'p1', policyName: 'safe-git', ruleIndex: 1, tool: 'Bash', args: { command: 'git push --force' }, decision: 'deny', reason: 'no force pushes', toolUseId: 'toolu_2', askedAt: null, outcome: 'denied', outcomeBy: 'policy', outcomeVia: null, outcomeAt: '2026-11-23T11:59:00Z' },
  { id: 1, at: '2026-11-23T11:58:00Z', sessionId: 'aaaa1111', event: 'PreToolUse', policyId: 'p1', policyName: 'safe-git', ruleIndex: 0, tool: 'Bash', args: { command: 'git status' }, decision: 'allow', reason: 'matched', toolUseId: 'toolu_1', askedAt: '2026-11-23T11:58:00Z', outcome: 'allowed', outcomeBy: 'person', outcomeVia: 'tui', outcomeAt: '2026-11-23T11:58:07Z' },
];
const tokens = (total: number, cost: number) => ({ inputTokens: total / 4, outputTokens: total / 4, cacheCreationTokens: total / 4, cacheReadTokens: total / 4, totalTokens: total, totalCost: cost });

interface Call {
  name: string;
  input: Record<string, unknown>;
}

/** The daemon's side of the link, answering from the fixtures; `emit` plays a message of an event stream. */
function fakeLink(options: { fail?: Record<string, AppError>; slow?: Record<string, number> } = {}) {
  const calls: Call[] = [];
  const answered: string[] = [];
  const streams = new Map<string, (...message: StreamArgs) => void>();
  let sessions = [...SESSIONS];
  const answer = (name: string, input: Record<string, unknown>): unknown => {
    const failure = options.fail?.[name];
    if (failure) throw failure;
    const byId = () => sessions.find((s) => s.id === input.id)!;
    switch (name) {
      case 'health':
        return { status: 'ok', version: 'test', uptime: 1 };
      case 'sessions.list':
        return { sessions };
      case 'sessions.output':
        return { text: OUTPUT[input.id as string] ?? '', seq: 0, source: 'screen' };
      case 'sessions.send':
        return { ok: true, bytes: String(input.text).length };
      case 'sessions.keys':
        return { ok: true, keys: (input.keys as string[]).length };
      case 'sessions.permission':
        return { ...byId(), state: 'running' };
      case 'sessions.kill':
      case 'sessions.stop':
        return { ...byId(), state: 'stopped' };
      case 'sessions.create': {
        const created = { ...session('dddd4444', String(input.name ?? 'dddd4444'), 'starting', 0, input.provider as Session['provider']), cwd: String(input.cwd), args: input.args as string[] };
        sessions = [...sessions, created];
        return created;
      }
      case 'library.sessions':
        return { total: 1, sessions: [{ ...tokens(1_200_000, 3.5), id: 'x', provider: 'claude', title: null, name: null, cwd: null, gitBranch: null, model: null, firstActivity: null, lastActivity: null, messageCount: 3, unpricedTokens: 0, tags: [], favourite: false, managed: { id: 'aaaa1111', name: 'builder', state: 'idle' } }] };
      case 'policies.list':
        return { policies: POLICIES };
      case 'policies.update':
        return { ...POLICIES.find((p) => p.id === input.id)!, enabled: input.enabled };
      case 'policyDecisions.list':
        return { decisions: DECISIONS.filter((d) => !input.sessionId || d.sessionId === input.sessionId), total: 2 };
      case 'analytics.overview':
        return { range: { from: null, to: null, tz: 'UTC' }, sessions: 12, activeSessions: 2, messages: 340, ...tokens(2_000_000, 12.34), cacheHitRate: 0.8, unpricedTokens: 0, unpricedModels: [] };
      case 'analytics.tokenUsage':
        return { range: { from: null, to: null, tz: 'UTC' }, days: [{ date: '2026-11-22', ...tokens(800_000, 5) }, { date: '2026-11-23', ...tokens(1_200_000, 7.34) }], totals: tokens(2_000_000, 12.34) };
      case 'analytics.tokensByModel':
        return { range: { from: null, to: null, tz: 'UTC' }, models: [{ model: 'claude-sonnet-4-5', requests: 40, priced: true, ...tokens(1_500_000, 10) }, { model: 'mystery-1', requests: 2, priced: false, ...tokens(500_000, 0) }], totals: tokens(2_000_000, 10) };
      case 'search':
        return { query: input.q, total: 1, totalExact: true, hits: [{ sessionId: 'lib-1', provider: 'claude', title: 'fix the flaky test\u001b]2;PWNED\u0007', cwd: '/work/builder', messageId: 7, role: 'assistant', kind: 'text', tool: null, sidechain: false, timestamp: '2026-11-23T10:00:00Z', snippet: 'the <mark>flaky</mark> test waits on a timer', file: null }] };
      case 'library.get':
        return {
          session: { id: 'lib-1', title: 'fix the flaky test', name: null },
          files: [],
          totalMessages: 2,
          messages: [
            { id: 6, timestamp: '2026-11-23T09:59:00Z', role: 'user', kind: 'text', tool: null, text: 'why is the test flaky?', input: null, sidechain: false },
            { id: 7, timestamp: '2026-11-23T10:00:00Z', role: 'assistant', kind: 'text', tool: null, text: 'The flaky test waits on a timer instead of the event.', input: null, sidechain: false },
          ],
        };
      default:
        throw new Error(`the fake daemon has no answer for ${name}`);
    }
  };
  const link: DaemonLink = {
    call: (async (name: string, input: Record<string, unknown> = {}) => {
      calls.push({ name, input });
      const delay = options.slow?.[name];
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
      try {
        return answer(name, input);
      } finally {
        answered.push(name);
      }
    }) as DaemonLink['call'],
    callStarting: ((name: string, input?: Record<string, unknown>) => link.call(name as 'sessions.list', input as never)) as DaemonLink['callStarting'],
    stream(topics, onEvent) {
      for (const topic of topics) streams.set(topic, onEvent);
      setImmediate(() => onEvent('ready', { topics }));
      return { done: new Promise<void>(() => undefined), close: () => topics.forEach((topic) => streams.delete(topic)) };
    },
    tmux: async () => ({ binary: 'tmux', socket: 'test' }),
  };
  return {
    link,
    calls,
    answered,
    callsOf: (name: string) => calls.filter((call) => call.name === name).map((call) => call.input),
    emit: (topic: string, ...message: StreamArgs) => streams.get(topic)?.(...message),
  };
}

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function open(options: { colour?: boolean; fail?: Record<string, AppError>; slow?: Record<string, number>; size?: { columns: number; rows: number } } = {}) {
  const daemon = fakeLink(options);
  const store = createStore(initialState({ columns: 100, rows: 24 }));
  const attached: string[] = [];
  let exited = false;
  let bells = 0;
  const host: Host = {
    bell: () => void bells++,
    cwd: '/work',
    env: { PATH: '/usr/bin', ONLY_IN_THE_SHELL: 'from the shell' },
    attach: async (_tmux, target) => void attached.push(target),
    exit: () => void (exited = true),
  };
  const controller = new Controller(store, daemon.link, host);
  const ui = render(<App store={store} controller={controller} theme={{ colour: options.colour ?? true }} now={NOW} />);
  cleanups.push(() => {
    controller.stop();
    ui.unmount();
  });
  await controller.start();
  // ink-testing-library's stdout says 100 columns; a terminal of another size is a resize after the first frame.
  if (options.size) store.dispatch({ type: 'resize', ...options.size });
  const frame = () => stripAnsi(ui.lastFrame() ?? '');
  const until = (pattern: RegExp, what = String(pattern)) =>
    waitFor(() => (pattern.test(frame()) ? frame() : undefined), { what, timeoutMs: 3000 }).catch((error: Error) => {
      throw new Error(`${error.message}\n--- last frame:\n${frame()}`);
    });
  /** Types keys one at a time, as a terminal delivers them. */
  const press = async (...keys: string[]) => {
    for (const key of keys) {
      ui.stdin.write(key);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { ...daemon, store, ui, frame, until, press, attached, exited: () => exited, bells: () => bells };
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '');
const ENTER = '\r';
const ESC = '\u001b';

describe('the sessions screen', () => {
  it('lists sessions attention first with state, age, tokens and cost, and shows the selected output', async () => {
    const tui = await open();
    const frame = await tui.until(/● 42 tests passed|Would you like/);
    const rows = frame.split('\n');
    const reviewer = rows.findIndex((row) => row.includes('reviewer'));
    const builder = rows.findIndex((row) => row.includes('builder ') && row.includes('claude-code'));
    expect(reviewer).toBeGreaterThan(0);
    expect(reviewer).toBeLessThan(builder); // waiting for permission sorts first
    expect(rows[reviewer]).toMatch(/› ! permission +reviewer +codex +2m/);
    await tui.until(/○ idle +builder +claude-code +5m +1\.2M \$3\.50 \/work\/builder/, 'tokens and cost from the transcript index');
    expect(frame).toMatch(/■ stopped +old-run/);
    expect(frame).toMatch(/─ reviewer · codex · permission/);
    expect(frame).toMatch(/Would you like to run the following command\?/);
    expect(frame).toMatch(/! 1 permission +○ 1 idle +■ 1 stopped/);
  });

  it('moves the selection with j and k, and the output pane follows', async () => {
    const tui = await open();
    await tui.until(/─ reviewer/);
    await tui.press('j');
    await tui.until(/─ builder · claude-code · idle/);
    await tui.until(/● 42 tests passed/);
    expect(tui.callsOf('sessions.output').map((input) => input.id)).toContain('aaaa1111');
    await tui.press('k');
    await tui.until(/─ reviewer · codex/);
  });

  it('approves and denies the pending permission of the selected session', async () => {
    const tui = await open();
    await tui.until(/─ reviewer/);
    await tui.press('y');
    await tui.until(/approved: reviewer/);
    await tui.press('n');
    await tui.until(/denied: reviewer/);
    expect(tui.callsOf('sessions.permission')).toEqual([
      { id: 'bbbb2222', answer: 'approve', via: 'tui' },
      { id: 'bbbb2222', answer: 'deny', via: 'tui' },
    ]);
  });

  it('sends a typed prompt on Enter, and nothing on Esc', async () => {
    const tui = await open();
    await tui.until(/─ reviewer/);
    await tui.press('j', 'i');
    await tui.until(/prompt for builder:/);
    await tui.press('fix the ', 'flaky test');
    await tui.until(/prompt for builder: fix the flaky test/);
    await tui.press(ENTER);
    await waitFor(() => tui.callsOf('sessions.send').length === 1, { what: 'the send call' });
    expect(tui.callsOf('sessions.send')).toEqual([{ id: 'aaaa1111', text: 'fix the flaky test', newline: true }]);
    await tui.press('i', 'never sent', ESC);
    await waitFor(() => !/prompt for builder/.test(tui.frame()), { what: 'the prompt to close' });
    await tui.press('K', 'ctrl+c esc', ENTER);
    await waitFor(() => tui.callsOf('sessions.keys').length === 1, { what: 'the keys call' });
    expect(tui.callsOf('sessions.keys')).toEqual([{ id: 'aaaa1111', keys: ['ctrl+c', 'esc'] }]);
    expect(tui.callsOf('sessions.send')).toHaveLength(1);
  });

  it('asks before killing, refuses actions on an ended session, and attaches to a live one', async () => {
    const tui = await open();
    await tui.until(/─ reviewer/);
    await tui.press('x');
    await tui.until(/kill reviewer now\? \(y\/n\)/);
    await tui.press('n');
    await waitFor(() => !/kill reviewer now/.test(tui.frame()), { what: 'the question to go' });
    await tui.press('x', 'y');
    await tui.until(/killed reviewer/);
    expect(tui.callsOf('sessions.kill')).toEqual([{ id: 'bbbb2222' }]);
    await tui.press('G', 'y');
    await tui.until(/old-run is stopped; r resumes it/);
    expect(tui.callsOf('sessions.permission')).toEqual([]);
    await tui.press('g', ENTER);
    await tui.until(/back from reviewer/);
    expect(tui.attached).toEqual(['cp-bbbb2222']);
  });

  it('follows live changes from the event stream', async () => {
    const tui = await open();
    await tui.until(/─ reviewer/);
    tui.emit('sessions', 'session', { ...SESSIONS[0]!, state: 'needs_input', stateSince: new Date(NOW).toISOString() });
    await tui.until(/\? needs input +builder/);
    await tui.until(/! 1 permission +\? 1 needs input +■ 1 stopped/);
    const rows = tui.frame().split('\n');
    expect(rows.findIndex((row) => row.includes('builder '))).toBeGreaterThan(rows.findIndex((row) => row.includes('reviewer ')));
  });

  it('starts a session from the form, and keeps the form open with the reason when the daemon refuses', async () => {
    const refusing = await open({ fail: { 'sessions.create': new AppError('VALIDATION_FAILED', 'cwd: /work/nope is not a directory') } });
    await refusing.press('c');
    await refusing.until(/new session/);
    await refusing.press(ENTER);
    await refusing.until(/cwd: \/work\/nope is not a directory/);
    expect(refusing.frame()).toMatch(/directory +\/work/);

    const tui = await open();
    await tui.until(/─ reviewer/);
    await tui.press('c');
    await tui.until(/› provider +\[claude-code\]/);
    await tui.press('\u001b[C'); // right: codex
    await tui.press('\u001b[C'); // right: command
    await tui.until(/\[command\]/);
    await tui.press('\u001b[B', '\u0015', 'api'); // down to the directory, ctrl+u, type
    await tui.press('\u001b[B', 'api-tests', '\u001b[B', `bash -c 'npm test; exec bash'`);
    await tui.until(/› args +bash -c 'npm test; exec bash'/);
    await tui.press(ENTER);
    await tui.until(/started api-tests/);
    expect(tui.callsOf('sessions.create')).toEqual([{ provider: 'command', cwd: '/work/api', name: 'api-tests', args: ['bash', '-c', 'npm test; exec bash'], callerEnv: { PATH: '/usr/bin', ONLY_IN_THE_SHELL: 'from the shell' }, cols: 100, rows: 24 }]);
    await tui.until(/› ◌ starting +api-tests +command/);
  });
});

describe('keys that arrive together, and answers that arrive late', () => {
  it('moves for a burst of movement keys, and ignores a paste that lands outside a field', async () => {
    const tui = await open();
    await tui.until(/─ reviewer/);
    await tui.press('jj');
    await tui.until(/─ old-run · claude-code · stopped/);
    await tui.press('kk');
    await tui.until(/─ reviewer/);
    await tui.press('Oxygen'); // x then y would kill the session, letter by letter
    await tui.press('ifix it\r');
    await tui.press('j'); // keys are handled in order: once this moved, the pastes were handled (and ignored)
    await tui.until(/─ builder/);
    expect(tui.callsOf('sessions.kill')).toEqual([]);
    expect(tui.callsOf('sessions.send')).toEqual([]);
    expect(tui.frame()).not.toMatch(/kill reviewer now/);
  });

  it('sends a pasted line ending in a newline, inner newlines as spaces', async () => {
    const tui = await open();
    await tui.until(/─ reviewer/);
    await tui.press('j', 'i');
    await tui.until(/prompt for builder:/);
    await tui.press('first line\nsecond line\n');
    await waitFor(() => tui.callsOf('sessions.send').length === 1, { what: 'the send call' });
    expect(tui.callsOf('sessions.send')[0]).toEqual({ id: 'aaaa1111', text: 'first line second line', newline: true });
    expect(tui.frame()).not.toMatch(/prompt for builder/);
  });

  it('answers a permission once however often y is pressed while the answer travels', async () => {
    const tui = await open({ slow: { 'sessions.permission': 150 } });
    await tui.until(/─ reviewer/);
    await tui.press('y', 'y', 'n');
    await tui.until(/approved: reviewer/);
    expect(tui.callsOf('sessions.permission')).toEqual([{ id: 'bbbb2222', answer: 'approve', via: 'tui' }]);
  });

  it('keeps a prompt typed while a conversation loads, and starts one session for Enter twice', async () => {
    const tui = await open({ slow: { 'library.get': 200, 'sessions.create': 150 } });
    await tui.press('5', '/', 'flaky', ENTER);
    await tui.until(/1 matching messages/);
    await tui.press(ENTER);
    await tui.until(/loading the conversation/);
    await tui.press(ESC, '/', 'typed meanwhile');
    await waitFor(() => tui.answered.includes('library.get'), { what: 'the slow conversation to arrive' }); // it must not replace the prompt
    await new Promise((resolve) => setImmediate(resolve));
    expect(tui.frame()).toMatch(/search transcripts.*: typed meanwhile/);
    expect(tui.frame()).not.toMatch(/message 2 of 2/);

    await tui.press(ESC, '1', 'c', ENTER, ENTER);
    await tui.until(/started/);
    expect(tui.callsOf('sessions.create')).toHaveLength(1);
  });

  it('never lets text from a transcript steer the terminal', async () => {
    const tui = await open();
    await tui.press('5', '/', 'flaky', ENTER);
    await tui.until(/fix the flaky test/);
    expect(tui.ui.lastFrame()).not.toContain('\u001b]');
    expect(tui.ui.lastFrame()).not.toContain('\u0007');
  });
});

describe('the help screen', () => {
  it('shows the keybinding table, scrolls, and closes on any other key', async () => {
    const tui = await open();
    await tui.until(/─ reviewer/);
    await tui.press('?');
    const help = await tui.until(/keys \(1-\d+ of \d+/);
    expect(help).toMatch(/Everywhere/);
    expect(help).toMatch(/\?\s+this help/);
    expect(help).toMatch(/Sessions\n/); // the current screen's keys come next
    expect(help).toMatch(/enter, a\s+attach to the session/);
    await tui.press('j');
    await tui.until(/keys \(6-/);
    await tui.until(/y\s+approve the pending permission/);
    await tui.press('x');
    await tui.until(/─ reviewer/);
  });
});

describe('the other screens', () => {
  it('lists policies, toggles one, and shows its rules', async () => {
    const tui = await open();
    await tui.press('2');
    await tui.until(/› \[x\] safe-git +10 +2 +global/);
    expect(tui.frame()).toMatch(/\[ \] no-network +5 +1 +session aaaa1111/);
    await tui.press(' ');
    await tui.until(/safe-git disabled/);
    expect(tui.callsOf('policies.update')).toEqual([{ id: 'p1', enabled: false }]);
    await tui.press(ENTER);
    await tui.until(/rules of safe-git: git is fine/);
    expect(tui.frame()).toMatch(/2\. deny +tool=Bash command=git push --force\* +\(no force pushes\)/);
  });

  it('shows the audit log and narrows it to one session', async () => {
    const tui = await open();
    await tui.press('3');
    await tui.until(/all decisions +2 of 2 shown/);
    expect(tui.frame()).toMatch(/bbbb2222 +Bash +deny +denied by policy +safe-git: no f/);
    // The outcome column says who answered and how; the selected row's line says when.
    expect(tui.frame()).toMatch(/aaaa1111 +Bash +allow +approved via tui after 7\.0s +safe-git: matched/);
    await tui.press('j', 's');
    await tui.until(/decisions of session aaaa1111/);
    expect(tui.callsOf('policyDecisions.list').at(-1)).toEqual({ limit: 200, sessionId: 'aaaa1111' });
    await tui.press(ESC);
    await tui.until(/all decisions/);
  });

  it('shows the overview and bars per day and model, and changes range with the arrows', async () => {
    const tui = await open();
    await tui.press('4');
    const frame = await tui.until(/tokens per model/);
    expect(frame).toMatch(/sessions 12 \(2 active\) · messages 340 · cost \$12\.34/);
    expect(frame).toMatch(/hit 80\.0%/);
    expect(frame).toMatch(/2026-11-23 █+ +1\.2M +\$7\.34/);
    expect(frame).toMatch(/mystery-1 +[█▏▎▍▌▋▊▉]+ +500\.0K +unpriced/);
    expect(tui.callsOf('analytics.overview').at(-1)).toEqual({ range: '7d' });
    await tui.press('\u001b[C');
    await waitFor(() => tui.callsOf('analytics.overview').at(-1)?.range === '30d', { what: 'the 30d reload' });
  });

  it('searches, highlights the hit, opens its conversation at the message, and shows query errors', async () => {
    const tui = await open();
    await tui.press('5', '/');
    await tui.until(/search transcripts/);
    await tui.press('flaky', ENTER);
    await tui.until(/“flaky” +1 matching messages, 1 shown/);
    expect(tui.frame()).toMatch(/assistant +fix the flaky test/);
    expect(tui.ui.lastFrame()).toMatch(/the (?:\u001b\[[0-9;]*m)+flaky/); // the match is drawn in another style
    await tui.press(ENTER);
    await tui.until(/fix the flaky test · message 2 of 2/);
    expect(tui.frame()).toMatch(/The flaky test waits on a timer instead of the event\./);
    expect(tui.frame()).not.toMatch(/why is the test flaky/); // opened at the hit, not at the top
    await tui.press('k');
    await tui.until(/why is the test flaky/);
    await tui.press(ESC);
    await tui.until(/“flaky”/);

    const failing = await open({ fail: { search: new AppError('SEARCH_QUERY_INVALID', 'search query "AND" is not valid: syntax error near "AND"') } });
    await failing.press('5', '/', 'AND', ENTER);
    await failing.until(/search query "AND" is not valid: syntax error near "AND"/);
  });
});

describe('colour', () => {
  it('draws no colour with NO_COLOR, and still marks what needs the user', async () => {
    const coloured = await open();
    await coloured.until(/─ reviewer/);
    // eslint-disable-next-line no-control-regex
    expect(coloured.ui.lastFrame()).toMatch(/\u001b\[3[0-9]m/);

    const plain = await open({ colour: false });
    await plain.until(/Would you like/);
    await plain.press('j'); // builder, whose output is green
    await plain.until(/✻ builder ready/);
    const raw = plain.ui.lastFrame()!;
    // eslint-disable-next-line no-control-regex
    expect(raw).not.toMatch(/\u001b\[(?:3[0-9]|9[0-7]|38;)/);
    expect(raw).toMatch(/\u001b\[7m(?:\u001b\[[0-9;]*m)*! 1 permission/); // inverse, not colour
  });
});

/** Whether inverse video and which foreground colour are on where `text` starts in a raw line of a frame. */
function styleAt(line: string, text: string): { inverse: boolean; colour: string | null } {
  const at = line.indexOf(text);
  expect(at, `${text} in ${JSON.stringify(line)}`).toBeGreaterThanOrEqual(0);
  let inverse = false;
  let colour: string | null = null;
  // eslint-disable-next-line no-control-regex
  for (const match of line.slice(0, at).matchAll(/\u001b\[([0-9;]*)m/g)) {
    for (const code of (match[1] || '0').split(';')) {
      if (code === '0') [inverse, colour] = [false, null];
      else if (code === '7') inverse = true;
      else if (code === '27') inverse = false;
      else if (/^(3[0-7]|9[0-7])$/.test(code)) colour = code;
      else if (code === '39') colour = null;
    }
  }
  return { inverse, colour };
}

describe('narrow terminals and the selection', () => {
  it('keeps the tab bar on one line at 40 and at 30 columns, the current screen always named', async () => {
    for (const columns of [40, 30]) {
      const tui = await open({ size: { columns, rows: 10 } });
      await tui.until(/─ reviewer/);
      await tui.until(new RegExp(`^.{0,${columns}}\n {2}(?:STATE| {2}NAME)`), `the list header right under a one-line tab bar at ${columns} columns`);
      let lines = tui.frame().split('\n');
      expect(lines[0]).toMatch(/Sessions/);
      expect(lines[0]).toMatch(/●/);
      for (const line of lines) expect(displayWidthOf(line), `${columns}: ${JSON.stringify(line)}`).toBeLessThanOrEqual(columns);
      await tui.press('5');
      await tui.until(/Search.*\n.*search/);
      lines = tui.frame().split('\n');
      expect(lines[0]).toMatch(/5.*Search/);
      expect(lines[1]).not.toMatch(/Sessions|Policies|Audit|Analytics/);
    }
  });

  it('shows the directory by its last part at 40 columns, dropping optional columns first', async () => {
    const tui = await open({ size: { columns: 40, rows: 10 } });
    const frame = await tui.until(/○ idle +builder/);
    expect(frame).toMatch(/○ idle +builder +.*\/work\/builder/);
    expect(frame).not.toMatch(/TOKENS/);
  });

  it('lines up the list after a CJK or emoji name', async () => {
    const tui = await open();
    await tui.until(/─ reviewer/);
    tui.emit('sessions', 'session', { ...SESSIONS[0]!, name: '修复解析器' });
    tui.emit('sessions', 'session', { ...SESSIONS[2]!, name: 'ship🚀it' });
    const frame = await tui.until(/修复解析器[\s\S]*ship🚀it|ship🚀it[\s\S]*修复解析器/);
    const rows = frame.split('\n').filter((line) => /claude-code|codex/.test(line) && !line.startsWith('─'));
    expect(rows).toHaveLength(3);
    const providerColumn = rows.map((row) => stringWidth(row.slice(0, row.search(/claude-code|codex/))));
    expect(new Set(providerColumn).size, frame).toBe(1);
  });

  it('keeps the selected row highlighted across the coloured state cell, its colour still there', async () => {
    const tui = await open();
    await tui.until(/─ reviewer/);
    await tui.press('j'); // builder, idle: a state cell without emphasis of its own
    await tui.until(/─ builder · claude-code · idle/);
    const raw = tui.ui.lastFrame()!.split('\n');
    const row = raw.find((line) => stripAnsi(line).includes('› ○ idle'))!;
    expect(row, 'the selected row').toBeDefined();
    expect(styleAt(row, '○ idle')).toEqual({ inverse: true, colour: '34' });
    expect(styleAt(row, 'builder').inverse).toBe(true);
    expect(styleAt(row, '/work/builder').inverse).toBe(true);
    // The unselected attention row keeps its own emphasis.
    const reviewer = raw.find((line) => stripAnsi(line).includes('reviewer') && stripAnsi(line).includes('permission'))!;
    expect(styleAt(reviewer, '! permission')).toEqual({ inverse: true, colour: '35' });
    expect(styleAt(reviewer, 'reviewer').inverse).toBe(false);
  });
});

/** Columns a frame's line takes (the fixtures are ASCII apart from a few one-column symbols). */
function displayWidthOf(line: string): number {
  return [...line].length;
}

describe('notifications', () => {
  const notification = (kind: 'needs_permission' | 'resolved', title: string, message: string) => ({
    id: `n-${kind}`,
    kind,
    at: '2026-11-23T12:00:00Z',
    session: { id: 'bbbb2222', name: 'reviewer', provider: 'codex' as const },
    title,
    message,
    question: kind === 'needs_permission' ? { tool: 'Bash', summary: 'rm -rf dist' } : null,
    lastLine: null,
    link: null,
    resolves: kind === 'resolved' ? 'n-needs_permission' : null,
    workflow: null,
  });

  it('follows the notifications topic: a banner on the notice line and the bell, and no bell for a follow-up', async () => {
    const tui = await open();
    await tui.until(/─ reviewer/);
    expect(tui.bells()).toBe(0);
    tui.emit('notifications', 'notification', notification('needs_permission', 'reviewer needs permission', 'Bash: rm -rf dist'));
    await tui.until(/🔔 reviewer needs permission: Bash: rm -rf dist/);
    expect(tui.bells()).toBe(1);
    tui.emit('notifications', 'notification', notification('resolved', 'reviewer: answered', 'the permission question was answered'));
    await tui.until(/reviewer: answered: the permission question was answered/);
    expect(tui.frame()).not.toMatch(/🔔/);
    expect(tui.bells()).toBe(1);
  });
});
