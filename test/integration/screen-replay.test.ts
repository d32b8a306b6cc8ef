import path from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, createHarness, type Harness } from '../helpers/harness';
import { daemonApi } from '../helpers/daemon-api';
import { loadScreens, SCREENS_DIR, type ScreenCase } from '../helpers/screens';
import { waitFor } from '../helpers/wait';

/**
 * Each screen of test/fixtures/screens/ shown by a fake agent in a real session of the real daemon, as the provider
 * it belongs to: the screen is read through tmux's capture as in life, and the session must settle in the state the
 * corpus gives. Many sessions run at once on one daemon.
 */
const FAKE_SCREEN = path.join(ROOT, 'test/fixtures/fake-screen.cjs');
const PARALLEL = 8;
/** A state counts as settled once it has held this long (longer than a screen reading takes to confirm idle). */
const SETTLED_MS = 1500;

let harness: Harness;
let client: Client;

beforeAll(async () => {
  harness = createHarness();
  Object.assign(harness.env, { CODEPIPER_CLAUDE_BIN: FAKE_SCREEN, CODEPIPER_CODEX_BIN: FAKE_SCREEN });
  const started = await harness.run(['daemon', 'start', '--detach']);
  expect(started.code, started.stderr).toBe(0);
  client = new Client('http://localhost', { socketPath: harness.socket });
});

afterAll(async () => {
  await client?.close();
  await harness?.cleanup();
});

const { api } = daemonApi(() => client);

/** Shows one screen in a new session and returns the state it settles in (or what it was when the deadline passed). */
async function replay(screen: ScreenCase): Promise<string> {
  const file = path.join(SCREENS_DIR, screen.file);
  const created = await api('POST', '/sessions', {
    provider: screen.provider,
    cwd: harness.dir,
    cols: screen.cols,
    rows: screen.rows,
    env: { CODEPIPER_TEST_SCREEN: file },
    args: screen.provider === 'command' ? [process.execPath, FAKE_SCREEN, file] : [],
  });
  expect(created.status, JSON.stringify(created.json)).toBe(200);
  const id = created.json.id as string;
  let last = 'starting';
  try {
    await waitFor(
      async () => {
        const session = (await api('GET', `/sessions/${id}`)).json;
        last = session.state;
        return session.state === screen.expected && Date.now() - Date.parse(session.stateSince) >= SETTLED_MS;
      },
      { what: `${screen.file} to settle as ${screen.expected}`, timeoutMs: 8000, intervalMs: 100 },
    );
  } catch {
    // reported by the caller with the state it was in
  }
  await api('POST', `/sessions/${id}/kill`);
  return last;
}

describe('replaying the screen corpus through the daemon', () => {
  it('settles every screen in its state', async () => {
    const screens = loadScreens();
    const wrong: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < screens.length) {
          const screen = screens[next++]!;
          const seen = await replay(screen);
          if (seen !== screen.expected) wrong.push(`${screen.file}: ${seen}, expected ${screen.expected} (${screen.why})`);
        }
      }),
    );
    expect(wrong, `${wrong.length} of ${screens.length} screens read wrong`).toEqual([]);
  }, 180_000);
});
