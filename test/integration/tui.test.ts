// The dashboard end to end: the built `codepiper` with no arguments in a real pseudo-terminal (node-pty, 80×24),
// against a real daemon, its private tmux server and the fake Claude Code agent. What the user sees is read through a
// terminal emulator, so the assertions are about the screen, not about escape sequences.
import path from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { daemonApi } from '../helpers/daemon-api';
import { BIN, ROOT, createHarness, type Harness } from '../helpers/harness';
import { spawnOnPty, type PtyScreen } from '../helpers/pty-screen';

const FAKE_CLAUDE = path.join(ROOT, 'test/fixtures/fake-claude.cjs');

let harness: Harness;
let client: Client;
let tui: PtyScreen | undefined;
const { api, untilState } = daemonApi(() => client);

beforeAll(async () => {
  harness = createHarness();
  Object.assign(harness.env, { CODEPIPER_CLAUDE_BIN: FAKE_CLAUDE });
  delete harness.env.TMUX;
  const started = await harness.run(['daemon', 'start', '--detach']);
  expect(started.code, started.stderr).toBe(0);
  client = new Client('http://localhost', { socketPath: harness.socket });
});

afterAll(async () => {
  tui?.kill();
  await client?.close();
  await harness?.cleanup();
});

describe('the dashboard in a terminal', () => {
  it('shows a new session, its wait for permission, and lets the user approve it', async () => {
    tui = spawnOnPty(process.execPath, [BIN], { env: { ...harness.env, TERM: 'xterm-256color' }, cwd: harness.dir, cols: 80, rows: 24 });
    await tui.waitFor(/1 Sessions .*5 Search/, 'the tab bar');
    await tui.waitFor(/no sessions/, 'the empty list');

    // A session started elsewhere appears by itself: the dashboard follows the daemon's event stream.
    const { json: created } = await api('POST', '/sessions', { provider: 'claude-code', cwd: harness.dir, name: 'agent-one' });
    await tui.waitFor(/○ idle +agent-one +claude-code/, 'the new session, idle, in the list');
    await tui.waitFor(/─ agent-one · claude-code · idle/, 'its output pane');

    // A prompt typed into the dashboard reaches the agent, which asks for permission: the row says so, first.
    tui.press('i');
    await tui.waitFor(/prompt for agent-one:/, 'the prompt line');
    tui.press('ask Bash make deploy');
    await tui.waitFor(/prompt for agent-one: ask Bash make deploy/, 'the typed prompt');
    tui.press('\r');
    await untilState(created.id, 'needs_permission');
    const waiting = await tui.waitFor(/! permission +agent-one/, 'the permission state in the list');
    expect(waiting).toMatch(/! 1 permission/); // the status line counts it
    await tui.waitFor(/Do you want to proceed\?/, "the agent's permission box in the output pane");

    // Approving from the dashboard lets the agent go on.
    tui.press('y');
    await tui.waitFor(/● allowed Bash make deploy/, 'the agent going on with the tool');
    await tui.waitFor(/○ idle +agent-one/, 'the session idle again');
    await tui.waitFor(/approved: agent-one/, 'the notice');
    const events = (await api('GET', `/sessions/${created.id}/events?limit=1000`)).json.events as Array<{ type: string; data: { answer?: string } }>;
    expect(events.filter((event) => event.type === 'permission').map((event) => event.data.answer)).toEqual(['approve']);
    // The audit log says who approved it, and from where.
    const { decisions } = (await api('GET', `/policy-decisions?sessionId=${created.id}`)).json;
    expect(decisions.map((d: any) => [d.args.command, d.outcome, d.outcomeBy, d.outcomeVia])).toEqual([['make deploy', 'allowed', 'person', 'tui']]);

    // Everything fits 80 columns: the tab bar is one line, and no row ran over into the next.
    const lines = tui.lines();
    expect(lines[0]).toMatch(/^ 1 Sessions .* 5 Search .*● daemon$/);
    expect(lines[1]).toMatch(/^ +STATE +NAME +PROVIDER/);
    expect(tui.wrappedRows()).toEqual([]);

    // q quits, the agent keeps running, and the terminal is back on its main screen.
    tui.press('q');
    expect((await tui.exited).exitCode).toBe(0);
    expect(tui.raw()).toContain('\u001b[?1049l');
    expect((await api('GET', `/sessions/${created.id}`)).json.state).toBe('idle');
  });

  it('says when the daemon goes away and reconnects when it is back', async () => {
    tui = spawnOnPty(process.execPath, [BIN], { env: { ...harness.env, TERM: 'xterm-256color' }, cwd: harness.dir, cols: 80, rows: 24 });
    await tui.waitFor(/agent-one/, 'the list');
    expect((await harness.run(['daemon', 'stop'])).code).toBe(0);
    await tui.waitFor(/✖ no daemon/, 'the lost daemon in the tab bar');
    await tui.waitFor(/daemon not answering/, 'the explanation');
    expect((await harness.run(['daemon', 'start', '--detach'])).code).toBe(0);
    await client.close();
    client = new Client('http://localhost', { socketPath: harness.socket });
    await tui.waitFor((screen) => screen.includes('● daemon') && /○ idle +agent-one/.test(screen), 'the reconnected list', 20_000);
    tui.press('q');
    expect((await tui.exited).exitCode).toBe(0);
  });

  it('refuses without a terminal, naming why, and prints the help for no arguments in a pipe', async () => {
    const refused = await harness.run(['tui']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe('codepiper: the dashboard needs a terminal (stdin and stdout must be a TTY); the other commands work without one\n');
    const help = await harness.run([]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: codepiper/);
  });

  it('restores the terminal when it is killed with SIGINT or SIGTERM', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      tui = spawnOnPty(process.execPath, [BIN], { env: { ...harness.env, TERM: 'xterm-256color' }, cwd: harness.dir, cols: 80, rows: 24 });
      await tui.waitFor(/agent-one/, 'the list');
      process.kill(tui.pid, signal);
      await tui.exited;
      expect(tui.raw().slice(tui.raw().lastIndexOf('\u001b[?1049h'))).toContain('\u001b[?1049l');
      await tui.waitFor((screen) => !/1 Sessions/.test(screen), 'the main screen back'); // once the emulator has read it all
    }
  });
});
