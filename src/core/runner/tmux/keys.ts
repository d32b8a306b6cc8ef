import { parseKeys, type Key, type KeyName } from '../keys';

/** A key as tmux's send-keys takes it: a key name, or text sent with -l (literally). */
export type TmuxKey = { key: string } | { literal: string };

/** tmux's names for the keys that have no modifier. */
const TMUX_PLAIN: Readonly<Record<string, string>> = {
  enter: 'Enter',
  esc: 'Escape',
  tab: 'Tab',
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
const TMUX_MODIFIERS: Readonly<Record<string, string>> = { ctrl: 'C-', alt: 'M-', shift: 'S-' };

/** `ctrl+c` → `C-c`, `shift+tab` → `BTab`, `f5` → `F5`, `alt+left` → `M-Left`. */
export function tmuxKeyName(name: KeyName): string {
  if (name === 'shift+tab') return 'BTab';
  if (/^f\d+$/.test(name)) return name.toUpperCase();
  const plus = name.indexOf('+');
  if (plus < 0) return TMUX_PLAIN[name]!;
  const base = name.slice(plus + 1);
  return TMUX_MODIFIERS[name.slice(0, plus)]! + (TMUX_PLAIN[base] ?? base);
}

export function tmuxKey(key: Key): TmuxKey {
  return 'key' in key ? { key: tmuxKeyName(key.key) } : key;
}

/** Key names as tmux keys: parseKeys, then tmux's spelling. */
export function resolveKeys(names: readonly string[]): TmuxKey[] {
  return parseKeys(names).map(tmuxKey);
}
