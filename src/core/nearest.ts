/**
 * "Did you mean ...?": the names nearest to a mistyped one, for every error that refuses a name from a known set
 * (an option's values, a subcommand, a key name, a config key). Plain TypeScript with no imports, so the CLI, the
 * daemon and the hook bundle can all carry it for nothing.
 */

/**
 * Edit distance with adjacent transpositions counted as one edit (optimal string alignment), compared without case:
 * "idel" is one edit from "idle", "Claude" none from "claude".
 */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  if (s === t) return 0;
  // Three rows of the classic table are enough: the previous two (for transpositions) and the current one.
  let before = new Array<number>(t.length + 1).fill(0);
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  let current = new Array<number>(t.length + 1).fill(0);
  for (let i = 1; i <= s.length; i++) {
    current[0] = i;
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) best = Math.min(best, before[j - 2]! + 1);
      current[j] = best;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[t.length]!;
}

/**
 * The candidates a user most likely meant by `input`, in their own order, at most `limit`: the nearest of those within
 * a few edits (about one per three characters typed, at least one) or that `input` begins (at least two characters
 * typed: "claud" means claude-code, "needs" both needs_* states). Empty when nothing is near: a wild guess helps
 * nobody.
 */
export function nearestNames(input: string, candidates: Iterable<string>, limit = 3): string[] {
  const typed = input.trim().toLowerCase();
  if (typed === '') return [];
  const allowed = Math.max(1, Math.floor(typed.length / 3));
  const scored: Array<{ name: string; score: number; order: number }> = [];
  let order = 0;
  for (const name of new Set(candidates)) {
    const distance = editDistance(typed, name);
    const lower = name.toLowerCase();
    // A prefix ranks with a one-edit slip: "cost" → costs and "claud" → claude-code both read as near misses.
    const prefix = typed.length >= 2 && lower.startsWith(typed) ? 1 : Infinity;
    const score = Math.min(distance <= allowed ? distance : Infinity, prefix);
    if (score !== Infinity) scored.push({ name, score, order: order++ });
  }
  // Only the best tier: with ctrl+c one edit from "ctrl-c", ctrl+a two edits away is no longer a guess worth showing.
  const best = Math.min(...scored.map((entry) => entry.score));
  return scored
    .filter((entry) => entry.score === best)
    .sort((x, y) => x.order - y.order)
    .slice(0, limit)
    .map((entry) => entry.name);
}

/** "did you mean idle?", "did you mean codex or command?", or "" when nothing is near. */
export function didYouMean(input: string, candidates: Iterable<string>, limit = 3): string {
  const near = nearestNames(input, candidates, limit);
  return near.length ? `did you mean ${listWithOr(near)}?` : '';
}

/** `message`, then "; did you mean ...?" when something is near `input`. */
export function withSuggestion(message: string, input: string, candidates: Iterable<string>, limit = 3): string {
  const hint = didYouMean(input, candidates, limit);
  return hint ? `${message}; ${hint}` : message;
}

/** "a", "a or b", "a, b or c". */
export function listWithOr(names: readonly string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}
