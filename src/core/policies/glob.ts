/**
 * Path globs compiled to a small automaton (a Thompson NFA) that is run over the path once, keeping the set of
 * states it can be in. Its time is at most the pattern's size times the path's length, whatever either holds: a
 * backtracking matcher takes exponential time on a pattern of many stars against a path that almost matches, and an
 * agent chooses its paths.
 *
 * The syntax: `*` is any characters but `/` (a lone `*` segment at least one), `?` one such character, `**` as a
 * whole segment any number of directories (a trailing `/**` also matches the directory itself, and `**` followed by
 * a slash may stand for nothing, at the start as elsewhere), `[abc]`, `[a-z]`, `[!a]` or `[^a]` and `[[:alpha:]]`
 * one character of a class (never `/`), `{a,b}` one of the alternatives (they nest), `\` makes the next character
 * literal; everything else is literal. Alternatives are states of the automaton, not expanded copies, so
 * `{a,b}{a,b}…` stays small.
 */

type Test = (code: number) => boolean;

/** Pattern pieces: one character of a class, a run of characters of a class, or a choice of sequences. */
type Piece = { kind: 'one'; test: Test } | { kind: 'many'; test: Test } | { kind: 'choice'; options: Piece[][] };

const SLASH = 47;
const notSlash: Test = (code) => code !== SLASH;
const anything: Test = () => true;
const literal = (char: number): Test => (code) => code === char;

/** The glob as a test; `outOfTime` is asked now and then on long paths, and a yes gives null (no answer). */
export function compilePathGlob(pattern: string): (value: string, outOfTime?: () => boolean) => boolean | null {
  const automaton = build(parse(pattern));
  return (value, outOfTime) => run(automaton, value, outOfTime);
}

// ---- parsing ----

function parse(pattern: string): Piece[] {
  let i = 0;
  /** A sequence up to the end, or (inside braces) up to the `,` or `}` that ends this alternative. */
  const sequence = (inBraces: boolean): Piece[] => {
    const pieces: Piece[] = [];
    while (i < pattern.length) {
      const char = pattern[i]!;
      if (inBraces && (char === ',' || char === '}')) break;
      if (char === '\\' && i + 1 < pattern.length) {
        pieces.push({ kind: 'one', test: literal(pattern.charCodeAt(i + 1)) });
        i += 2;
      } else if (char === '*') {
        let end = i;
        while (pattern[end] === '*') end++;
        // Inside braces an alternative's edges are segment edges too: `{b,c/**}`.
        const before = pattern[i - 1];
        const after = pattern[end];
        const wholeSegment =
          (i === 0 || before === '/' || (inBraces && (before === '{' || before === ','))) &&
          (end === pattern.length || after === '/' || (inBraces && (after === ',' || after === '}')));
        const stars = end - i;
        i = end;
        if (stars >= 2 && wholeSegment) globstar(pieces);
        else if (pieces.at(-1)?.kind !== 'many') {
          // A star that is a whole segment names something: `/a/*` is not `/a/`.
          if (wholeSegment) pieces.push({ kind: 'one', test: notSlash });
          pieces.push({ kind: 'many', test: notSlash });
        }
      } else if (char === '?') {
        pieces.push({ kind: 'one', test: notSlash });
        i++;
      } else if (char === '[' && classEnd(pattern, i) > 0) {
        const end = classEnd(pattern, i);
        pieces.push({ kind: 'one', test: characterClass(pattern.slice(i + 1, end)) });
        i = end + 1;
      } else if (char === '{' && hasAlternatives(pattern, i)) {
        i++;
        const options: Piece[][] = [sequence(true)];
        while (pattern[i] === ',') {
          i++;
          options.push(sequence(true));
        }
        i++; // the closing brace
        pieces.push({ kind: 'choice', options });
      } else {
        pieces.push({ kind: 'one', test: literal(pattern.charCodeAt(i)) });
        i++;
      }
    }
    return pieces;
  };

  /** `**` filling a segment: any directories. Which slashes it may swallow depends on where it stands. */
  const globstar = (pieces: Piece[]): void => {
    const followedBySlash = pattern[i] === '/';
    const precededBySlash = pieces.length > 0 && isSlash(pieces.at(-1)!);
    if (followedBySlash) {
      // `**/` is "nothing, or anything ending in /": the slash after it is part of the choice.
      i++;
      pieces.push({ kind: 'choice', options: [[], [{ kind: 'many', test: anything }, { kind: 'one', test: literal(SLASH) }]] });
    } else if (precededBySlash) {
      // A trailing `/**` is "nothing, or / and anything": `/etc/**` is /etc and everything under it.
      pieces.pop();
      pieces.push({ kind: 'choice', options: [[], [{ kind: 'one', test: literal(SLASH) }, { kind: 'many', test: anything }]] });
    } else pieces.push({ kind: 'many', test: anything });
  };

  return sequence(false);
}

function isSlash(piece: Piece): boolean {
  return piece.kind === 'one' && piece.test(SLASH) && !piece.test(SLASH + 1);
}

/** Whether the brace at `start` closes, with a comma at its own level (else it is a literal brace, as in `{a}`). */
function hasAlternatives(pattern: string, start: number): boolean {
  let depth = 0;
  let comma = false;
  for (let i = start; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '\\') i++;
    else if (char === '[' && classEnd(pattern, i) > 0) i = classEnd(pattern, i);
    else if (char === '{') depth++;
    else if (char === '}' && --depth === 0) return comma;
    else if (char === ',' && depth === 1) comma = true;
  }
  return false;
}

/** Where the class opened at `start` closes, or -1 when it does not (then `[` is literal). */
function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '!' || pattern[i] === '^') i++;
  if (pattern[i] === ']') i++; // a leading ] is a member
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === '[' && pattern[i + 1] === ':') {
      const close = pattern.indexOf(':]', i + 2);
      if (close > 0) i = close + 1;
    } else if (pattern[i] === ']') return i;
  }
  return -1;
}

const POSIX: Record<string, Test> = {
  alnum: (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  alpha: (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  digit: (c) => c >= 48 && c <= 57,
  lower: (c) => c >= 97 && c <= 122,
  upper: (c) => c >= 65 && c <= 90,
  space: (c) => c === 32 || (c >= 9 && c <= 13),
  blank: (c) => c === 32 || c === 9,
  punct: (c) => (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126),
  xdigit: (c) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
  word: (c) => c === 95 || ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)),
};

/** The body of `[...]` as a test of one character. A class never matches `/`: it stays within a segment. */
function characterClass(body: string): Test {
  const negated = body[0] === '!' || body[0] === '^';
  const ranges: Array<[number, number]> = [];
  const named: Test[] = [];
  for (let i = negated ? 1 : 0; i < body.length; i++) {
    if (body[i] === '[' && body[i + 1] === ':') {
      const close = body.indexOf(':]', i + 2);
      const test = close > 0 ? POSIX[body.slice(i + 2, close)] : undefined;
      if (test) {
        named.push(test);
        i = close + 1;
        continue;
      }
    }
    if (body[i] === '\\' && i + 1 < body.length) i++;
    const low = body.charCodeAt(i);
    if (body[i + 1] === '-' && i + 2 < body.length) {
      let j = i + 2;
      if (body[j] === '\\' && j + 1 < body.length) j++;
      ranges.push([low, body.charCodeAt(j)]);
      i = j;
    } else ranges.push([low, low]);
  }
  const member = (code: number) => ranges.some(([low, high]) => code >= low && code <= high) || named.some((test) => test(code));
  return (code) => code !== SLASH && member(code) !== negated;
}

// ---- the automaton ----

/** State i: when `tests[i]` is set, it consumes one character that passes it and goes to `next[i][0]`; otherwise
 * it is a free move to every state in `next[i]`. The accepting state has neither. */
interface Automaton {
  start: number;
  accept: number;
  tests: Array<Test | undefined>;
  next: number[][];
}

function build(pieces: Piece[]): Automaton {
  const tests: Array<Test | undefined> = [];
  const next: number[][] = [];
  const state = (test: Test | undefined, to: number[]): number => {
    tests.push(test);
    next.push(to);
    return tests.length - 1;
  };
  // Built from the end backwards: each piece is given the state that follows it and returns its first state.
  const sequence = (list: Piece[], follow: number): number => {
    let at = follow;
    for (let k = list.length - 1; k >= 0; k--) at = piece(list[k]!, at);
    return at;
  };
  const piece = (item: Piece, follow: number): number => {
    if (item.kind === 'one') return state(item.test, [follow]);
    if (item.kind === 'choice') return state(undefined, item.options.map((option) => sequence(option, follow)));
    const loop = state(undefined, [follow]);
    next[loop]!.unshift(state(item.test, [loop]));
    return loop;
  };
  const accept = state(undefined, []);
  return { start: sequence(pieces, accept), accept, tests, next };
}

function run({ start, accept, tests, next }: Automaton, value: string, outOfTime?: () => boolean): boolean | null {
  const seen = new Uint32Array(tests.length);
  let generation = 0;
  let current: number[] = [];
  let upcoming: number[] = [];
  const stack: number[] = [];
  // Adds a state and every state its free moves reach, once per step.
  const add = (into: number[], first: number): void => {
    stack.push(first);
    while (stack.length > 0) {
      const at = stack.pop()!;
      if (seen[at] === generation) continue;
      seen[at] = generation;
      if (tests[at]) into.push(at);
      else if (at === accept) into.push(at);
      else for (const to of next[at]!) stack.push(to);
    }
  };
  generation++;
  add(current, start);
  for (let i = 0; i < value.length && current.length > 0; i++) {
    if ((i & 0xff) === 0xff && outOfTime?.()) return null;
    const code = value.charCodeAt(i);
    generation++;
    upcoming.length = 0;
    for (const at of current) if (tests[at]?.(code)) add(upcoming, next[at]![0]!);
    [current, upcoming] = [upcoming, current];
  }
  return current.includes(accept);
}
