import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, createHarness, type Harness } from '../helpers/harness';
import { daemonApi } from '../helpers/daemon-api';
import { waitFor } from '../helpers/wait';

/**
 * The real Claude Code and Codex under the daemon, opt-in: set CODEPIPER_TEST_REAL_AGENTS to a directory where
 * `npm install @anthropic-ai/claude-code @openai/codex` was run (their binaries in <dir>/node_modules/.bin). Never a
 * required dependency. They run offline with auto-update off, in a temporary HOME, CLAUDE_CONFIG_DIR and CODEX_HOME,
 * never the user's own; the next change of their first screens' wording is caught here (and, captured, by the corpus).
 *
 * Set CODEPIPER_TEST_REAL_AGENTS_CAPTURE=<dir> as well to write every first screen seen to <dir> as plain text.
 */
const REAL = process.env.CODEPIPER_TEST_REAL_AGENTS;
const CAPTURE = process.env.CODEPIPER_TEST_REAL_AGENTS_CAPTURE;

function binary(name: string): string | undefined {
  if (!REAL) return undefined;
  const file = path.join(path.resolve(REAL), 'node_modules', '.bin', name);
  return fs.existsSync(file) ? file : undefined;
}

const CLAUDE = binary('claude');
const CODEX = binary('codex');
const ENABLED = Boolean(CLAUDE && CODEX);

if (!ENABLED) {
  const why = REAL
    ? `CODEPIPER_TEST_REAL_AGENTS=${REAL} has no node_modules/.bin/claude and codex`
    : 'CODEPIPER_TEST_REAL_AGENTS is not set';
  // eslint-disable-next-line no-console -- says how to enable the skipped test
  console.log(
    `real-agents: skipped (${why}). To run it: mkdir -p /tmp/real-agents && cd /tmp/real-agents && npm init -y && ` +
      'npm install @anthropic-ai/claude-code @openai/codex, then CODEPIPER_TEST_REAL_AGENTS=/tmp/real-agents npx vitest run test/integration/real-agents.test.ts',
  );
}

const SIZES = [
  { cols: 120, rows: 40 },
  { cols: 80, rows: 24 },
] as const;
/** A state counts as the screen's reading once it has held this long (longer than a screen reading takes to settle). */
const SETTLED_MS = 1500;
const FAKE_KEY = 'sk-ant-api03-codepiper-test-key-not-real-000000000000000000000000';

let harness: Harness;
let client: Client;
/** A CODEX_HOME where `codex login --with-api-key` saved a (fake) key: Codex starts at its prompt, offline. */
let codexSignedIn: string;
const { api, screen, untilState } = daemonApi(() => client);

describe.skipIf(!ENABLED)('the real agents under the daemon', () => {
  beforeAll(async () => {
    harness = createHarness();
    const home = path.join(harness.dir, 'agent-home');
    fs.mkdirSync(home, { recursive: true });
    Object.assign(harness.env, {
      HOME: home,
      DISABLE_AUTOUPDATER: '1',
      CODEPIPER_CLAUDE_BIN: CLAUDE,
      CODEPIPER_CODEX_BIN: CODEX,
    });
    for (const key of ['ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'ANTHROPIC_AUTH_TOKEN', 'OPENAI_API_KEY', 'OPENAI_BASE_URL']) {
      delete harness.env[key];
    }
    // Onboarding done, nothing else: the trust dialog and the API-key question are what remain to be seen.
    fs.mkdirSync(harness.env.CLAUDE_CONFIG_DIR!, { recursive: true });
    fs.writeFileSync(path.join(harness.env.CLAUDE_CONFIG_DIR!, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true }));
    fs.mkdirSync(harness.env.CODEX_HOME!, { recursive: true });
    codexSignedIn = path.join(harness.dir, 'codex-signed-in');
    fs.mkdirSync(codexSignedIn, { recursive: true });
    const login = spawnSync(CODEX!, ['login', '--with-api-key'], {
      env: { ...harness.env, CODEX_HOME: codexSignedIn },
      input: 'sk-codepiper-test-key-not-real',
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(login.status, `codex login: ${login.stderr}`).toBe(0);
    const started = await harness.run(['daemon', 'start', '--detach']);
    expect(started.code, started.stderr).toBe(0);
    client = new Client('http://localhost', { socketPath: harness.socket });
  });

  afterAll(async () => {
    await client?.close();
    await harness?.cleanup();
  });

  /** A fresh working directory per session, so one session's answer (trust) is never another's starting point. */
  function workdir(name: string): string {
    const dir = path.join(harness.dir, 'work', name);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }

  /**
   * Starts the provider at a size, waits for `marker` on its screen, and returns the state the session settles in
   * with the screen it read (captured when CODEPIPER_TEST_REAL_AGENTS_CAPTURE is set).
   */
  async function firstScreen(options: {
    name: string;
    provider: 'claude-code' | 'codex';
    cols: number;
    rows: number;
    marker: RegExp;
    expected: string;
    env?: Record<string, string>;
    cwd?: string;
    before?: (id: string) => Promise<void>;
  }): Promise<{ state: string; text: string }> {
    const created = await api('POST', '/sessions', {
      provider: options.provider,
      cwd: options.cwd ?? workdir(`${options.name}-${options.cols}x${options.rows}`),
      cols: options.cols,
      rows: options.rows,
      env: { DISABLE_AUTOUPDATER: '1', ...options.env },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    const id = created.json.id as string;
    let state = 'starting';
    let text = '';
    try {
      await options.before?.(id);
      await waitFor(
        async () => {
          text = await screen(id);
          return options.marker.test(text);
        },
        { what: `${options.marker} on the real ${options.provider}'s screen`, timeoutMs: 30_000, intervalMs: 200 },
      );
      await waitFor(
        async () => {
          const session = (await api('GET', `/sessions/${id}`)).json;
          state = session.state;
          return state === options.expected && Date.now() - Date.parse(session.stateSince) >= SETTLED_MS;
        },
        { what: `${options.name} to read as ${options.expected}`, timeoutMs: 10_000, intervalMs: 100 },
      ).catch(() => undefined);
      text = await screen(id);
      await capture(`real-${options.name}-${options.cols}x${options.rows}.txt`, id);
      return { state, text };
    } finally {
      await api('POST', `/sessions/${id}/kill`);
    }
  }

  describe.each(SIZES)('at $cols x $rows', ({ cols, rows }) => {
    it("reads Claude Code's trust dialog as needs_input", async () => {
      const seen = await firstScreen({
        name: 'claude-trust',
        provider: 'claude-code',
        cols,
        rows,
        marker: /trust this folder|trust the files/i,
        expected: 'needs_input',
      });
      expect(seen.state, seen.text).toBe('needs_input');
    }, 60_000);

    it("reads Claude Code's question about ANTHROPIC_API_KEY as needs_input", async () => {
      const seen = await firstScreen({
        name: 'claude-api-key',
        provider: 'claude-code',
        cols,
        rows,
        env: { ANTHROPIC_API_KEY: FAKE_KEY },
        marker: /use this API key/i,
        expected: 'needs_input',
        // The trust dialog comes first: answer it (Enter on "Yes, I trust this folder" after one step down).
        before: async (id) => {
          await waitFor(async () => /trust this folder|trust the files|use this API key/i.test(await screen(id)), {
            what: 'the trust dialog or the API-key question',
            timeoutMs: 30_000,
            intervalMs: 200,
          });
          if (/trust this folder|trust the files/i.test(await screen(id))) {
            await answerTrust(id);
          }
        },
      });
      expect(seen.state, seen.text).toBe('needs_input');
    }, 90_000);

    it("reads Codex's sign-in menu as needs_input", async () => {
      const seen = await firstScreen({
        name: 'codex-sign-in',
        provider: 'codex',
        cols,
        rows,
        marker: /Sign in with ChatGPT|Choose how you want to use Codex/i,
        expected: 'needs_input',
      });
      expect(seen.state, seen.text).toBe('needs_input');
    }, 60_000);

    it('reads Codex signed in with an API key, at its prompt, as idle', async () => {
      const seen = await firstScreen({
        name: 'codex-idle',
        provider: 'codex',
        cols,
        rows,
        env: { CODEX_HOME: codexSignedIn },
        marker: /Ask Codex to do anything|for shortcuts/i,
        expected: 'idle',
        before: async (id) => {
          // A folder Codex has not seen may first ask whether to trust it: answer that, then the prompt is the screen.
          await waitFor(async () => /Ask Codex to do anything|for shortcuts|work in this folder|trust/i.test(await screen(id)), {
            what: "Codex's prompt or its folder question",
            timeoutMs: 30_000,
            intervalMs: 200,
          });
          if (!/Ask Codex to do anything/i.test(await screen(id))) {
            await api('POST', `/sessions/${id}/keys`, { keys: ['enter'] });
          }
        },
      });
      expect(seen.state, seen.text).toBe('idle');
    }, 60_000);
  });

  describe('a whole turn offline, against a stand-in for the Messages API on loopback', () => {
    let api_: ChildProcess | undefined;
    let baseUrl = '';
    const DENY_REASON = 'CodePiper policy: this marker may not be printed';

    beforeAll(async () => {
      api_ = spawn(process.execPath, [path.join(ROOT, 'test/fixtures/fake-messages-api.cjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      api_.stdout!.on('data', (chunk) => (out += chunk));
      const port = await waitFor(() => /listening (\d+)/.exec(out)?.[1], { what: 'the stand-in Messages API to listen' });
      baseUrl = `http://127.0.0.1:${port}`;
      const rules = [
        { action: 'deny', tool: 'Bash', args: { command: '*codepiper-denied*' }, reason: DENY_REASON },
        { action: 'ask', tool: 'Bash', args: { command: '*codepiper-asked*' } },
      ];
      const created = await harness.run(['policy', 'create', '--name', 'real-turns', '--rules', JSON.stringify(rules)]);
      expect(created.code, created.stderr).toBe(0);
    });

    afterAll(() => {
      if (api_?.pid) process.kill(api_.pid, 'SIGKILL');
    });

    it('answers its hooks from the policies (deny with its reason, ask until approved) and indexes its transcript', async () => {
      const created = await api('POST', '/sessions', {
        provider: 'claude-code',
        cwd: workdir('claude-turn'),
        cols: 120,
        rows: 40,
        env: { DISABLE_AUTOUPDATER: '1', ANTHROPIC_BASE_URL: baseUrl, ANTHROPIC_API_KEY: FAKE_KEY },
      });
      expect(created.status, JSON.stringify(created.json)).toBe(200);
      const id = created.json.id as string;
      try {
        // The trust dialog, then the API-key question ("Yes" is one step up from the cursor), then the prompt.
        await waitFor(async () => /trust this folder|trust the files|use this API key|for shortcuts|auto mode|─\n❯/i.test(await screen(id)), {
          what: "Claude's first screen",
          timeoutMs: 30_000,
          intervalMs: 200,
        });
        if (/trust this folder|trust the files/i.test(await screen(id))) await answerTrust(id);
        const key = await waitFor(async () => {
          const text = await screen(id);
          return /use this API key/i.test(text) ? 'question' : /for shortcuts|auto mode|bypass|accept edits/i.test(text) ? 'prompt' : undefined;
        }, { what: 'the API-key question or the prompt', timeoutMs: 30_000, intervalMs: 200 });
        if (key === 'question') {
          await api('POST', `/sessions/${id}/keys`, { keys: ['up'] });
          await waitFor(async () => /❯\s*(?:\d+\.\s*)?Yes\b/.test(await screen(id)), { what: 'the cursor on "Yes"', timeoutMs: 5000 });
          await api('POST', `/sessions/${id}/keys`, { keys: ['enter'] });
        }
        await untilState(id, 'idle');
        await capture('real-claude-idle-120x40.txt', id);

        // A denied call: the reason CodePiper's policy gives shows in Claude.
        const denied = await api('POST', `/sessions/${id}/send`, { text: 'Please run: echo codepiper-denied' });
        expect(denied.status, JSON.stringify(denied.json)).toBe(200);
        await waitFor(async () => (await screen(id)).includes('may not be printed'), {
          what: "the deny rule's reason on Claude's screen",
          timeoutMs: 30_000,
          intervalMs: 200,
        }).catch(async (error) => {
          throw new Error(`${String(error)}\n${await screen(id)}`);
        });
        await untilState(id, 'idle');
        await capture('real-claude-denied-120x40.txt', id);

        // An asked call waits for the person: needs_permission until `codepiper approve`, then the command runs.
        await api('POST', `/sessions/${id}/send`, { text: 'Please run: echo codepiper-asked' });
        await untilState(id, 'needs_permission').catch(async (error) => {
          throw new Error(`${String(error)}\n${await screen(id)}`);
        });
        await capture('real-claude-permission-ask-120x40.txt', id);
        const approved = await harness.run(['approve', id]);
        expect(approved.code, approved.stderr).toBe(0);
        // The approved command ran: its output is on the screen as the tool's result (nothing printed it before).
        expect(await screen(id)).not.toMatch(/⎿\s+codepiper-asked/);
        await waitFor(async () => /⎿\s+codepiper-asked/.test(await screen(id)), { what: 'the approved command\'s output in Claude', timeoutMs: 30_000, intervalMs: 200 }).catch(
          async (error) => {
            throw new Error(`${String(error)}\n${await screen(id)}`);
          },
        );
        await untilState(id, 'idle');

        // The real transcript is indexed: the tool calls count in the analytics.
        const tools = await waitFor(async () => {
          const usage = (await api('GET', '/analytics/tool-usage')).json;
          const bash = usage.tools.find((tool: { tool: string }) => tool.tool === 'Bash');
          return bash && bash.calls >= 2 ? bash : undefined;
        }, { what: 'the Bash calls of the real transcript in the analytics', timeoutMs: 20_000, intervalMs: 250 });
        expect(tools.sessions).toBeGreaterThanOrEqual(1);
        const overview = (await api('GET', '/analytics/overview')).json;
        expect(overview.messages, JSON.stringify(overview)).toBeGreaterThan(0);
        expect(overview.outputTokens, JSON.stringify(overview)).toBeGreaterThan(0);
        if (overview.unpricedModels.length > 0) {
          // eslint-disable-next-line no-console -- worth knowing: data/prices.json lacks the agent's default model
          console.log(`real-agents: unpriced models in the real transcript: ${overview.unpricedModels.join(', ')}`);
        }
        const decisions = (await api('GET', '/analytics/policy-decisions')).json;
        expect(JSON.stringify(decisions)).toMatch(/deny/);
      } finally {
        await api('POST', `/sessions/${id}/kill`);
      }
    }, 180_000);
  });

  /** Writes the session's screen to CODEPIPER_TEST_REAL_AGENTS_CAPTURE (when set) for the corpus. */
  async function capture(file: string, id: string): Promise<void> {
    if (!CAPTURE) return;
    fs.mkdirSync(CAPTURE, { recursive: true });
    fs.writeFileSync(path.join(CAPTURE, file), `${(await screen(id)).replace(/\s+$/, '')}\n`);
  }

  /** Moves the trust dialog's cursor to "Yes, I trust this folder" and confirms. */
  async function answerTrust(id: string): Promise<void> {
    const text = await screen(id);
    if (/❯\s*(?:\d+\.\s*)?No, exit/.test(text)) {
      await api('POST', `/sessions/${id}/keys`, { keys: ['down'] });
      await waitFor(async () => /❯\s*(?:\d+\.\s*)?Yes, I trust/.test(await screen(id)), { what: 'the cursor on "Yes, I trust"', timeoutMs: 5000 });
    }
    await api('POST', `/sessions/${id}/keys`, { keys: ['enter'] });
  }
});

describe.skipIf(ENABLED)('the real agents (opt-in)', () => {
  it('are skipped unless CODEPIPER_TEST_REAL_AGENTS names a directory with claude and codex installed', () => {
    expect(ENABLED).toBe(false);
  });
});
