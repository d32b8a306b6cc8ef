import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../src/core/app';
import { stateForHook } from '../../src/core/hooks/claude';
import type { Logger } from '../../src/core/log';
import { resolvePaths } from '../../src/core/paths';
import { HOOK_STATE_WINS_MS } from '../../src/core/sessions/live';
import { MemoryRunner, type Program } from '../helpers/memory-runner';
import { waitFor } from '../helpers/wait';

const RULE = '─'.repeat(60);

/** Claude Code at its prompt: the input box between rules and the auto mode footer; typed text shows in the box. */
function claudeAtPrompt(): Program {
  let input = '';
  const draw = () => ['⏺ Done.', '', RULE, `❯ ${input}`, RULE, '  ⏵⏵ auto mode on (shift+tab to cycle)'].join('\r\n');
  return {
    start: (terminal) => terminal.write(draw()),
    onInput(terminal, key) {
      if ('literal' in key) input += key.literal;
      terminal.screen = '';
      terminal.write(draw());
    },
  };
}

describe('states the hooks report', () => {
  it('a question to the person is needs_input, whichever event brings it', () => {
    expect(stateForHook({ hook_event_name: 'PermissionRequest', tool_name: 'AskUserQuestion', tool_input: { questions: [] } })).toBe('needs_input');
    expect(stateForHook({ hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: 'ls' } })).toBe('needs_permission');
    expect(stateForHook({ hook_event_name: 'Notification', notification_type: 'idle_prompt' })).toBe('needs_input');
  });
});

describe('hook states in the engine', () => {
  let dir: string;
  let core: Core;
  let runner: MemoryRunner;
  const log: Logger = { info: () => {}, warn: () => {}, error: () => {} };

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cph-'));
    const env = {
      PATH: process.env.PATH,
      CODEPIPER_HOME: path.join(dir, 'home'),
      CODEPIPER_CLAUDE_BIN: process.execPath,
      CLAUDE_CONFIG_DIR: path.join(dir, 'claude'),
      CODEX_HOME: path.join(dir, 'codex'),
      XDG_DATA_HOME: path.join(dir, 'xdg'),
    };
    const paths = resolvePaths({ env });
    fs.mkdirSync(paths.home, { recursive: true, mode: 0o700 });
    runner = new MemoryRunner(() => claudeAtPrompt());
    core = await createCore({ paths, env, config: { transcripts: { scanOnStart: false } }, log, hookCommand: 'true', runner });
  });

  afterEach(() => {
    core.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const state = (id: string) => core.sessions.get(id).state;
  const hook = (id: string, payload: Record<string, unknown>) => core.hooks.claude(payload, { session: id, secret: core.secrets.hookSecret });

  /** Resolves once the watcher has read the screen `n` more times (it reads through runner.capture). */
  function countCaptures(): () => number {
    let count = 0;
    const capture = runner.capture.bind(runner);
    runner.capture = (...args) => {
      count++;
      return capture(...args);
    };
    return () => count;
  }

  async function idleSession(): Promise<string> {
    const session = await core.sessions.create({ provider: 'claude-code', cwd: dir, args: [], env: {}, dangerousMode: false, cleanEnv: false, cols: 100, rows: 30 });
    await waitFor(() => state(session.id) === 'idle', { what: 'idle at the prompt' });
    return session.id;
  }

  it('an AskUserQuestion permission request left to the person is needs_input', async () => {
    const id = await idleSession();
    expect(hook(id, { hook_event_name: 'PermissionRequest', tool_name: 'AskUserQuestion', tool_input: { questions: [{ question: 'Which cache?' }] } }).output).toBeNull();
    expect(state(id)).toBe('needs_input');
  });

  it("idle_prompt's needs_input outlives the hook's age on an unchanged idle screen, and ends when the person types", async () => {
    const id = await idleSession();
    const captures = countCaptures();
    hook(id, { hook_event_name: 'Notification', notification_type: 'idle_prompt', message: 'Claude is waiting for your input' });
    expect(state(id)).toBe('needs_input');
    const hookAt = Date.now();
    // The watcher looks at the screen again once the hook's word has aged: the idle-looking screen must not win.
    await waitFor(() => Date.now() - hookAt > HOOK_STATE_WINS_MS + 200 && captures() >= 2, { what: 'a screen reading after the hook aged', timeoutMs: HOOK_STATE_WINS_MS + 3000 });
    await waitFor(() => captures() >= 3 || Date.now() - hookAt > HOOK_STATE_WINS_MS + 1200, { what: 'the idle confirmation, if any', timeoutMs: 3000 });
    expect(state(id)).toBe('needs_input');
    // The person types: the screen changes, and the session is idle at its prompt again.
    await core.terminal.send(id, 'use redis', false);
    await waitFor(() => state(id) === 'idle', { what: 'idle once the person typed', timeoutMs: 5000 });
  }, 15_000);

  it('a hook state without the hold still gives way to the screen once aged', async () => {
    const id = await idleSession();
    hook(id, { hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: 'ls' } });
    expect(state(id)).toBe('needs_permission');
    // No box on screen: once the hook's word has aged, the screen (idle) is believed again.
    await waitFor(() => state(id) === 'idle', { what: 'idle after the hook aged', timeoutMs: HOOK_STATE_WINS_MS + 3000 });
  }, 10_000);
});
