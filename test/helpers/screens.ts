import fs from 'node:fs';
import path from 'node:path';
import type { ProviderId } from '../../src/core/providers';
import type { SessionState } from '../../src/core/sessions/state';
import { ROOT } from './harness';

export const SCREENS_DIR = path.join(ROOT, 'test/fixtures/screens');

/** One screen of the replay corpus: a file, the provider that draws it, the state it must read as, and why. */
export interface ScreenCase {
  file: string;
  provider: ProviderId;
  expected: SessionState;
  why: string;
  cols: number;
  rows: number;
}

export function loadScreens(): Array<ScreenCase & { text: string }> {
  const index = JSON.parse(fs.readFileSync(path.join(SCREENS_DIR, 'index.json'), 'utf8')) as { screens: ScreenCase[] };
  return index.screens.map((entry) => ({ ...entry, text: fs.readFileSync(path.join(SCREENS_DIR, entry.file), 'utf8').replace(/\n+$/, '') }));
}
