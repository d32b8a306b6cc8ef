/**
 * How an env set's value is shown: never any of its characters (not a prefix, not a suffix: a prefix of a key is
 * often what identifies it), only a mask and a rough length class, enough to tell an empty value or a forgotten
 * paste from a real key. The class is of the value's UTF-8 bytes, which its sealed form's size gives away anyway.
 */

export const LENGTH_CLASSES = ['empty', 'short', 'medium', 'long'] as const;
export type LengthClass = (typeof LENGTH_CLASSES)[number];

/** Upper bounds (bytes, inclusive) of short and medium; anything longer is long. */
const SHORT_MAX = 8;
const MEDIUM_MAX = 32;

export function lengthClass(bytes: number): LengthClass {
  if (bytes <= 0) return 'empty';
  if (bytes <= SHORT_MAX) return 'short';
  if (bytes <= MEDIUM_MAX) return 'medium';
  return 'long';
}

/** The mask shown for a value of that class: the same for every value of the class. */
export function maskFor(length: LengthClass): string {
  switch (length) {
    case 'empty':
      return '';
    case 'short':
      return '••••';
    case 'medium':
      return '••••••••';
    case 'long':
      return '••••••••••••';
  }
}

/** What one variable of an env set looks like to a reader. */
export interface MaskedVariable {
  name: string;
  masked: string;
  length: LengthClass;
}

export function maskValue(name: string, value: string): MaskedVariable {
  const length = lengthClass(Buffer.byteLength(value, 'utf8'));
  return { name, masked: maskFor(length), length };
}
