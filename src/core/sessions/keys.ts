import { AppError } from '../errors';

/** Key names accepted by the keys route, and the tmux key each one sends. */
const NAMED_KEYS: Record<string, string> = {
  enter: 'Enter',
  return: 'Enter',
  esc: 'Escape',
  escape: 'Escape',
  tab: 'Tab',
  'shift+tab': 'BTab',
  backspace: 'BSpace',
  delete: 'DC',
  insert: 'IC',
  space: 'Space',
  up: 'Up',
  down: 'Down',
  left: 'Left',
  right: 'Right',
  home: 'Home',
  end: 'End',
  pageup: 'PPage',
  pagedown: 'NPage',
};
for (let i = 1; i <= 12; i++) NAMED_KEYS[`f${i}`] = `F${i}`;
for (const letter of 'abcdefghijklmnopqrstuvwxyz') {
  NAMED_KEYS[`ctrl+${letter}`] = `C-${letter}`;
  NAMED_KEYS[`alt+${letter}`] = `M-${letter}`;
}
for (const arrow of ['up', 'down', 'left', 'right']) {
  NAMED_KEYS[`ctrl+${arrow}`] = `C-${NAMED_KEYS[arrow]}`;
  NAMED_KEYS[`alt+${arrow}`] = `M-${NAMED_KEYS[arrow]}`;
  NAMED_KEYS[`shift+${arrow}`] = `S-${NAMED_KEYS[arrow]}`;
}

export const KEY_NAMES: readonly string[] = Object.keys(NAMED_KEYS);

export type TmuxKey = { key: string } | { literal: string };

/**
 * Turns key names ("ctrl+c", "shift+tab", "enter") into tmux keys; a single printable character ("1", "y") is sent
 * as itself. Unknown names fail, all at once, with the list of valid ones.
 */
export function resolveKeys(names: readonly string[]): TmuxKey[] {
  const unknown: string[] = [];
  const keys = names.map((name): TmuxKey => {
    const normalized = name.trim().toLowerCase().replace(/\s+/g, '').replace(/^control\+/, 'ctrl+').replace(/^meta\+|^option\+/, 'alt+');
    const mapped = NAMED_KEYS[normalized];
    if (mapped) return { key: mapped };
    if ([...name].length === 1 && name >= ' ' && name !== '\u007f') return { literal: name };
    unknown.push(name);
    return { literal: '' };
  });
  if (unknown.length) {
    throw new AppError('VALIDATION_FAILED', `unknown key${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => JSON.stringify(k)).join(', ')}; valid keys: ${KEY_NAMES.join(', ')}, or any single character`, {
      details: { unknown, valid: KEY_NAMES },
    });
  }
  return keys;
}
