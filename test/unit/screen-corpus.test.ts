import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RUNTIMES } from '../../src/core/providers/runtime';
import { loadScreens, SCREENS_DIR } from '../helpers/screens';

/**
 * Every screen of the replay corpus read by its provider's screen reading, without a daemon (the integration test
 * replays the same screens through tmux). Questions are needs_input, permission boxes needs_permission, and a marker
 * that is only quoted in the transcript is text.
 */
const screens = loadScreens();

describe('the screen corpus', () => {
  it('lists every file of the directory, each once, and covers every provider', () => {
    const listed = screens.map((screen) => screen.file).sort();
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed).toEqual(fs.readdirSync(SCREENS_DIR).filter((file) => file.endsWith('.txt')).sort());
    expect(new Set(screens.map((screen) => screen.provider))).toEqual(new Set(['claude-code', 'codex', 'command']));
  });

  it.each(screens.map((screen) => [screen.file, screen] as const))('%s', (_file, screen) => {
    const runtime = RUNTIMES[screen.provider];
    // A command whose screen says nothing definite is idle once it is quiet (as the watcher reads it).
    const seen = runtime.stateFromScreen(screen.text) ?? (runtime.outputMeansRunning ? 'idle' : undefined);
    expect(seen, screen.why).toBe(screen.expected);
  });

  it('answers with keys exactly the screens it reads as waiting for permission', () => {
    for (const screen of screens) {
      const keys = RUNTIMES[screen.provider].permissionKeys(screen.text, 'approve');
      expect(keys !== undefined, `${screen.file}: ${screen.why}`).toBe(screen.expected === 'needs_permission');
    }
  });
});
