import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness';
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
const { api, screen } = daemonApi(() => client);

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
      env: options.env ?? {},
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
      if (CAPTURE) {
        fs.mkdirSync(CAPTURE, { recursive: true });
        fs.writeFileSync(path.join(CAPTURE, `real-${options.name}-${options.cols}x${options.rows}.txt`), `${text.replace(/\s+$/, '')}\n`);
      }
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
