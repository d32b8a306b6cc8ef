import path from 'node:path';
import picomatch from 'picomatch';
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
  for (const effective of rules) {
    if (ruleMatches(effective.rule, request)) {
      const reason = effective.rule.reason ?? `${effective.rule.action} by policy "${effective.policyName}" (rule ${effective.ruleIndex + 1})`;
      return { decision: effective.rule.action, reason, matched: effective };
    }
  }
  return { decision: defaultAction, reason: `no policy rule matched; the default is ${defaultAction}`, matched: null };
}

export function ruleMatches(rule: Rule, request: DecisionRequest): boolean {
  if (rule.tool !== undefined && !globsMatch(rule.tool, request.tool, 'text')) return false;
  if (rule.cwd !== undefined && !globsMatch(rule.cwd, normalizePath(request.cwd, '/'), 'path')) return false;
  for (const [field, patterns] of Object.entries(rule.args ?? {})) {
    const value = request.args[field];
    if (value === undefined || value === null) {
      // An argument the request does not have matches only a list of exclusions.
      if ((typeof patterns === 'string' ? [patterns] : patterns).some((pattern) => !pattern.startsWith('!'))) return false;
      continue;
    }
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const pathLike = isPathField(field) && typeof value === 'string';
    // A path is compared in its plain form: `/repo/../etc/passwd` is /etc/passwd, `src/a.ts` is under the cwd.
    if (!globsMatch(patterns, pathLike ? normalizePath(text, request.cwd) : text, pathLike ? 'path' : 'text')) return false;
  }
  return true;
}

/**
 * A value matches a glob list when some positive pattern matches (or there is none) and no `!` pattern excludes it.
 * Paths use path globs (`*` stays within a directory, `**` crosses them); other text (commands, tool names) treats
 * `*` as any characters at all, and its line breaks as spaces, so `*rm -rf*` finds the command in a script.
 */
export function globsMatch(patterns: string | readonly string[], value: string, kind: 'path' | 'text'): boolean {
  const list = typeof patterns === 'string' ? [patterns] : patterns;
  const subject = kind === 'text' ? value.replace(/\s+/g, ' ') : value;
  const positive = list.filter((pattern) => !pattern.startsWith('!'));
  const negative = list.filter((pattern) => pattern.startsWith('!')).map((pattern) => pattern.slice(1));
  if (positive.length > 0 && !positive.some((pattern) => matcher(pattern, kind)(subject))) return false;
  return !negative.some((pattern) => matcher(pattern, kind)(subject));
}

const cache = new Map<string, (value: string) => boolean>();

function matcher(pattern: string, kind: 'path' | 'text'): (value: string) => boolean {
  const key = `${kind}\u0000${pattern}`;
  let compiled = cache.get(key);
  if (!compiled) {
    compiled = picomatch(pattern, { dot: true, nonegate: true, bash: kind === 'text' });
    if (cache.size > 10_000) cache.clear();
    cache.set(key, compiled);
  }
  return compiled;
}

function normalizePath(value: string, cwd: string): string {
  return path.posix.resolve(cwd || '/', value);
}

function isPathField(field: string): boolean {
  return /(?:^|_)path$|^path$|^cwd$|^dir(?:ectory)?$/i.test(field);
}
