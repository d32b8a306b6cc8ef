import { AppError } from '../errors';
import { didYouMean } from '../nearest';

/** Keys without modifiers, by the names the keys route accepts. */
const PLAIN_KEYS = ['enter', 'esc', 'tab', 'backspace', 'delete', 'insert', 'space', 'up', 'down', 'left', 'right', 'home', 'end', 'pageup', 'pagedown'] as const;
const ARROWS = ['up', 'down', 'left', 'right'] as const;
const LETTERS = [...'abcdefghijklmnopqrstuvwxyz'];

type Letter = 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g' | 'h' | 'i' | 'j' | 'k' | 'l' | 'm' | 'n' | 'o' | 'p' | 'q' | 'r' | 's' | 't' | 'u' | 'v' | 'w' | 'x' | 'y' | 'z';
type Arrow = (typeof ARROWS)[number];
type FunctionKey = 'f1' | 'f2' | 'f3' | 'f4' | 'f5' | 'f6' | 'f7' | 'f8' | 'f9' | 'f10' | 'f11' | 'f12';

/** A key CodePiper can press in a terminal, by its one canonical name. */
export type KeyName =
  | (typeof PLAIN_KEYS)[number]
  | 'shift+tab'
  | FunctionKey
  | `ctrl+${Letter}`
  | `alt+${Letter}`
  | `${'ctrl' | 'alt' | 'shift'}+${Arrow}`;

/** Other spellings accepted for a key, and the name they stand for. */
const ALIASES: Readonly<Record<string, KeyName>> = { return: 'enter', escape: 'esc' };

/** Every accepted name → the key it presses, in the order the error message lists them. */
const NAMED_KEYS = new Map<string, KeyName>();
for (const name of PLAIN_KEYS) {
  NAMED_KEYS.set(name, name);
  for (const [alias, target] of Object.entries(ALIASES)) if (target === name) NAMED_KEYS.set(alias, name);
  if (name === 'tab') NAMED_KEYS.set('shift+tab', 'shift+tab');
}
for (let i = 1; i <= 12; i++) NAMED_KEYS.set(`f${i}`, `f${i}` as FunctionKey);
for (const letter of LETTERS) {
  NAMED_KEYS.set(`ctrl+${letter}`, `ctrl+${letter}` as KeyName);
  NAMED_KEYS.set(`alt+${letter}`, `alt+${letter}` as KeyName);
}
for (const arrow of ARROWS) for (const modifier of ['ctrl', 'alt', 'shift']) NAMED_KEYS.set(`${modifier}+${arrow}`, `${modifier}+${arrow}` as KeyName);

/** Every key name the keys route accepts (aliases included). */
export const KEY_NAMES: readonly string[] = [...NAMED_KEYS.keys()];

/** The key names in a few words (not all 110 of them), for an error that has no nearer name to offer. */
const KEY_NAMES_IN_SHORT = `${PLAIN_KEYS.join(', ')}, shift+tab, f1 to f12, ctrl+a to ctrl+z, alt+a to alt+z, ctrl|alt|shift+${ARROWS.join('|')}`;

/** A key to press, or literal text to type (a single character given to the keys route is typed as itself). */
export type Key = { key: KeyName } | { literal: string };

/**
 * Turns key names ("ctrl+c", "shift+tab", "enter") into keys; a single printable character ("1", "y") is typed as
 * itself. Unknown names fail, all at once, each with the nearest names, else with the key names in short.
 */
export function parseKeys(names: readonly string[]): Key[] {
  const unknown: string[] = [];
  const keys = names.map((name): Key => {
    const normalized = name.trim().toLowerCase().replace(/\s+/g, '').replace(/^control\+/, 'ctrl+').replace(/^meta\+|^option\+/, 'alt+');
    const key = NAMED_KEYS.get(normalized);
    if (key) return { key };
    if ([...name].length === 1 && name >= ' ' && name !== '\u007f') return { literal: name };
    unknown.push(name);
    return { literal: '' };
  });
  if (unknown.length) {
    const hints = unknown.map((name) => didYouMean(name.trim().toLowerCase(), KEY_NAMES));
    const described = unknown.map((name, i) => `${JSON.stringify(name)}${hints[i] ? ` (${hints[i]})` : ''}`);
    const inShort = hints.some((hint) => !hint) ? `; key names are ${KEY_NAMES_IN_SHORT}, or type any single character` : '';
    throw new AppError('VALIDATION_FAILED', `unknown key${unknown.length > 1 ? 's' : ''} ${described.join(', ')}${inShort}`, {
      details: { unknown, valid: KEY_NAMES },
    });
  }
  return keys;
}
