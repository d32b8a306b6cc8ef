import path from 'node:path';
import { compilePathGlob } from './glob';
import type { Policy, PolicyAction, Rule } from './schema';

/** What is asked: a tool call (or, for agents without hooks, terminal input as the tools terminal_input/_keys). */
export interface DecisionRequest {
  tool: string;
  args: Record<string, unknown>;
  cwd: string;
}

/** Where a policy comes from, in the order ties of priority are broken. */
export type PolicyOrigin = { kind: 'session' } | { kind: 'set'; setId: string; setName: string } | { kind: 'global' };

export interface ScopedPolicy {
  policy: Policy;
  origin: PolicyOrigin;
}

export interface EffectiveRule {
  policyId: string;
  policyName: string;
  priority: number;
  origin: PolicyOrigin;
  ruleIndex: number;
  rule: Rule;
}

export interface Decision {
  decision: PolicyAction;
  reason: string;
  /** The rule that decided, or null when none matched and the default applied. */
  matched: EffectiveRule | null;
}

const ORIGIN_ORDER = { session: 0, set: 1, global: 2 } as const;

/**
 * The rules that apply to a session, in evaluation order: enabled policies only, highest priority first; at equal
 * priority the session's own policies, then its sets', then global ones; within a policy, its rules in order. A
 * policy reachable twice (globally and through a set) counts once, at its first place.
 */
export function effectiveRules(policies: readonly ScopedPolicy[]): EffectiveRule[] {
  const seen = new Set<string>();
  return [...policies]
    .filter(({ policy }) => policy.enabled)
    .sort((a, b) => b.policy.priority - a.policy.priority || ORIGIN_ORDER[a.origin.kind] - ORIGIN_ORDER[b.origin.kind] || a.policy.createdAt.localeCompare(b.policy.createdAt) || a.policy.id.localeCompare(b.policy.id))
    .filter(({ policy }) => !seen.has(policy.id) && seen.add(policy.id))
    .flatMap(({ policy, origin }) =>
      policy.rules.map((rule, ruleIndex) => ({ policyId: policy.id, policyName: policy.name, priority: policy.priority, origin, ruleIndex, rule })),
    );
}

/** First match wins; no match gives the default action (ask, or deny; never allow). */
export function decide(rules: readonly EffectiveRule[], request: DecisionRequest, defaultAction: 'ask' | 'deny'): Decision {
  const subject = new Subject(request);
  const index = indexOf(rules);
  // Only rules that can concern this tool are tried, in their order: those naming it, and those with a pattern.
  const named = index.byTool.get(subject.tool) ?? [];
  const other = index.other;
  for (let a = 0, b = 0; a < named.length || b < other.length; ) {
    const position = b >= other.length || (a < named.length && named[a]! < other[b]!) ? named[a++]! : other[b++]!;
    const effective = rules[position]!;
    if (compiled(effective.rule)(subject)) {
      const by = `by policy "${effective.policyName}" (rule ${effective.ruleIndex + 1})`;
      const reason = subject.timedOut
        ? `${effective.rule.action} ${by}: the policies took over ${DECISION_BUDGET_MS} ms to compare, so the rest were taken to restrict`
        : (effective.rule.reason ?? `${effective.rule.action} ${by}`);
      return { decision: effective.rule.action, reason, matched: effective };
    }
  }
  return { decision: defaultAction, reason: `no policy rule matched; the default is ${defaultAction}`, matched: null };
}

/** Positions of rules by the exact tool names they list (lower case), and of every other rule, each in order. */
interface RuleIndex {
  byTool: Map<string, number[]>;
  other: number[];
}
const indexes = new WeakMap<readonly EffectiveRule[], RuleIndex>();

function indexOf(rules: readonly EffectiveRule[]): RuleIndex {
  let index = indexes.get(rules);
  if (index) return index;
  index = { byTool: new Map(), other: [] };
  rules.forEach(({ rule }, position) => {
    const tools = rule.tool === undefined ? undefined : typeof rule.tool === 'string' ? [rule.tool] : rule.tool;
    if (!tools || tools.some((tool) => /[*?\\!]/.test(tool))) {
      index!.other.push(position);
      return;
    }
    for (const tool of new Set(tools.map((name) => name.toLowerCase()))) {
      const list = index!.byTool.get(tool) ?? [];
      list.push(position);
      index!.byTool.set(tool, list);
    }
  });
  indexes.set(rules, index);
  return index;
}

export function ruleMatches(rule: Rule, request: DecisionRequest): boolean {
  return compiled(rule)(new Subject(request));
}

/** Longest path compared with a path glob; anything longer is no real path, and only rules that restrict match it. */
const MAX_PATH = 4096;

/**
 * The time one decision may spend comparing. Each glob takes linear time, but a policy may hold many long ones and a
 * request long text: past this, the values still to compare count as unknown (restricting rules match, allowing ones
 * do not), so no decision holds the daemon, and the hooks of other agents, for longer.
 */
export const DECISION_BUDGET_MS = 100;

/**
 * The request as rules read it, each part prepared once however many rules look at it: the tool name in lower case,
 * the cwd and path arguments in plain absolute form, other text with its line breaks as spaces.
 */
class Subject {
  readonly tool: string;
  readonly cwd: string;
  private readonly paths = new Map<string, string | null>();
  private readonly texts = new Map<string, string | null>();
  private readonly deadline = performance.now() + DECISION_BUDGET_MS;
  private expired = false;

  /** Whether some value went uncompared for lack of time (without looking at the clock again). */
  get timedOut(): boolean {
    return this.expired;
  }

  constructor(private readonly request: DecisionRequest) {
    this.tool = request.tool.toLowerCase();
    this.cwd = normalizePath(request.cwd, '/');
  }

  /** Whether the decision has spent its time; once it has, it stays so (a decision does not change its mind). */
  outOfTime(): boolean {
    return this.expired || (this.expired = performance.now() > this.deadline);
  }

  /** The argument as text of its kind, or null when the request does not have it. */
  field(name: string, kind: 'path' | 'text'): string | null {
    const memo = kind === 'path' ? this.paths : this.texts;
    const known = memo.get(name);
    if (known !== undefined) return known;
    const value = this.request.args[name];
    let text: string | null = null;
    if (value !== undefined && value !== null) {
      const raw = typeof value === 'string' ? value : JSON.stringify(value);
      text = kind === 'path' && typeof value === 'string' ? normalizePath(raw, this.cwd) : raw.replace(/\s+/g, ' ');
    }
    memo.set(name, text);
    return text;
  }
}

type RuleTest = (subject: Subject) => boolean;
const compiledRules = new WeakMap<Rule, RuleTest>();

function compiled(rule: Rule): RuleTest {
  let test = compiledRules.get(rule);
  if (!test) compiledRules.set(rule, (test = compileRule(rule)));
  return test;
}

function compileRule(rule: Rule): RuleTest {
  // When a value cannot be compared (a path too long to be real), restricting rules match and allowing ones do not.
  const unknownMatches = rule.action !== 'allow';
  const tool = rule.tool === undefined ? undefined : compileGlobs(rule.tool, 'name');
  const cwd = rule.cwd === undefined ? undefined : compileGlobs(rule.cwd, 'path');
  const args = Object.entries(rule.args ?? {}).map(([field, patterns]) => {
    const kind = isPathField(field) ? ('path' as const) : ('text' as const);
    const globs = compileGlobs(patterns, kind);
    return { field, kind, globs };
  });
  return (subject) => {
    if (tool && !(tool.test(subject.tool, subject) ?? unknownMatches)) return false;
    if (cwd && !(subject.cwd.length > MAX_PATH ? unknownMatches : (cwd.test(subject.cwd, subject) ?? unknownMatches))) return false;
    for (const { field, kind, globs } of args) {
      const text = subject.field(field, kind);
      if (text === null) {
        // A request without the argument matches only a list of exclusions, and never for an allow rule.
        if (globs.hasPositive || rule.action === 'allow') return false;
        continue;
      }
      if (kind === 'path' && text.length > MAX_PATH) {
        if (!unknownMatches) return false;
        continue;
      }
      if (!(globs.test(text, subject) ?? unknownMatches)) return false;
    }
    return true;
  };
}

interface CompiledGlobs {
  hasPositive: boolean;
  /** Whether the value matches, or null when the decision ran out of time before it could tell. */
  test(value: string, subject: Subject): boolean | null;
}

/**
 * A glob list matches when some positive pattern matches (or there is none) and no `!` pattern does. Paths use path
 * globs (`*` stays within a directory, `**` crosses them, `{a,b}` and classes work; see glob.ts). Text (commands, tool names) has
 * `*` (any characters) and `?` (one), `\\` escaping either, everything else literal; it is matched in time linear in
 * the pattern times the text, so no command, however long, can stall the daemon. Tool names ignore case.
 */
function compileGlobs(patterns: string | readonly string[], kind: 'path' | 'text' | 'name'): CompiledGlobs {
  const list = typeof patterns === 'string' ? [patterns] : patterns;
  const build = (pattern: string): Matcher => {
    if (kind !== 'path') return wildcard(kind === 'name' ? pattern.toLowerCase() : pattern);
    return pathGlob(pattern);
  };
  const positive = list.filter((pattern) => !pattern.startsWith('!')).map(build);
  const negative = list.filter((pattern) => pattern.startsWith('!')).map((pattern) => build(pattern.slice(1)));
  return {
    hasPositive: positive.length > 0,
    test: (value, subject) => {
      let matched = positive.length === 0;
      for (let i = 0; i < positive.length && !matched; i++) {
        if (subject.outOfTime()) return null;
        const result = positive[i]!(value, () => subject.outOfTime());
        if (result === null) return null;
        matched = result;
      }
      for (let i = 0; i < negative.length && matched; i++) {
        if (subject.outOfTime()) return null;
        const result = negative[i]!(value, () => subject.outOfTime());
        if (result === null) return null;
        matched = !result;
      }
      return matched;
    },
  };
}

// The usual path rules as string tests (a directory and everything under it, a name anywhere, an exact path); the
// rest through the path glob automaton, which like the text matcher takes linear time in the path.
/**
 * One glob's test: whether the value matches, or null when `outOfTime` said so before it could tell. Long walks ask it
 * now and then, so that one long value against one costly glob cannot outlast the decision's budget either.
 */
type Matcher = (value: string, outOfTime: () => boolean) => boolean | null;

function pathGlob(pattern: string): Matcher {
  const special = /[*?[\]{}\\]/;
  if (!special.test(pattern)) return (value) => value === pattern;
  if (pattern.endsWith('/**') && !special.test(pattern.slice(0, -3))) {
    const dir = pattern.slice(0, -3);
    return (value) => value === dir || value.startsWith(`${dir}/`);
  }
  if (pattern.startsWith('**/') && !special.test(pattern.slice(3))) {
    const name = pattern.slice(3);
    return (value) => value === name || value.endsWith(`/${name}`);
  }
  return compilePathGlob(pattern);
}

const STAR = 0;
const ANY = 1;
type Token = typeof STAR | typeof ANY | string;

/** `*` / `?` wildcard matching with the classic two-pointer walk: no regular expression, no backtracking blow-up. */
function wildcard(pattern: string): Matcher {
  const tokens: Token[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '\\' && i + 1 < pattern.length) tokens.push(pattern[++i]!);
    else if (char === '*') {
      if (tokens.at(-1) !== STAR) tokens.push(STAR);
    } else if (char === '?') tokens.push(ANY);
    else tokens.push(char);
  }
  // Most patterns are a literal, `prefix*`, `*suffix` or `*infix*`: plain string tests, no walk.
  const literal = tokens.every((token) => typeof token === 'string');
  const inner = tokens.slice(tokens[0] === STAR ? 1 : 0, tokens.at(-1) === STAR ? -1 : undefined);
  if (inner.every((token) => typeof token === 'string')) {
    const text = (inner as string[]).join('');
    const leading = tokens[0] === STAR;
    const trailing = tokens.length > 0 && tokens.at(-1) === STAR;
    if (literal) return (value) => value === text;
    if (leading && trailing) return (value) => value.includes(text);
    if (trailing) return (value) => value.startsWith(text);
    if (leading) return (value) => value.endsWith(text);
  }
  return (text, outOfTime) => {
    let p = 0;
    let t = 0;
    let star = -1;
    let mark = 0;
    let steps = 0;
    while (t < text.length) {
      if ((++steps & 0xffff) === 0 && outOfTime()) return null;
      const token = tokens[p];
      if (p < tokens.length && (token === ANY || token === text[t])) {
        p++;
        t++;
      } else if (p < tokens.length && token === STAR) {
        star = p++;
        mark = t;
      } else if (star >= 0) {
        p = star + 1;
        t = ++mark;
      } else return false;
    }
    while (p < tokens.length && tokens[p] === STAR) p++;
    return p === tokens.length;
  };
}

function normalizePath(value: string, cwd: string): string {
  return path.posix.resolve(cwd || '/', value);
}

function isPathField(field: string): boolean {
  return /(?:^|_)path$|^path$|^cwd$|^dir(?:ectory)?$/i.test(field);
}
