import { describe, expect, it } from 'vitest';
import { decide, effectiveRules, ruleMatches, type ScopedPolicy } from '../../src/core/policies/engine';
import { policyInputSchema, ruleSchema, type Policy, type Rule } from '../../src/core/policies/schema';

let counter = 0;
function policy(rules: Rule[], extra: Partial<Policy> = {}): Policy {
  counter++;
  return {
    id: `p${counter}`,
    name: `policy ${counter}`,
    description: null,
    enabled: true,
    priority: 0,
    sessionId: null,
    rules,
    createdAt: `2026-01-01T00:00:${String(counter).padStart(2, '0')}Z`,
    updatedAt: '2026-01-01T00:00:00Z',
    ...extra,
  };
}
const global = (p: Policy): ScopedPolicy => ({ policy: p, origin: { kind: 'global' } });
const bash = (command: string, cwd = '/home/me/app') => ({ tool: 'Bash', args: { command }, cwd });

describe('rule matching', () => {
  it('matches tool names by glob, with negation', () => {
    expect(ruleMatches({ action: 'deny', tool: 'Bash' }, bash('ls'))).toBe(true);
    expect(ruleMatches({ action: 'deny', tool: 'Ba*' }, bash('ls'))).toBe(true);
    expect(ruleMatches({ action: 'deny', tool: 'Edit' }, bash('ls'))).toBe(false);
    expect(ruleMatches({ action: 'deny', tool: ['Edit', 'Write'] }, { tool: 'Write', args: {}, cwd: '/' })).toBe(true);
    expect(ruleMatches({ action: 'deny', tool: '!Bash' }, bash('ls'))).toBe(false);
    expect(ruleMatches({ action: 'deny', tool: '!Bash' }, { tool: 'Read', args: {}, cwd: '/' })).toBe(true);
    expect(ruleMatches({ action: 'deny', tool: ['mcp__*', '!mcp__github__*'] }, { tool: 'mcp__github__push', args: {}, cwd: '/' })).toBe(false);
    expect(ruleMatches({ action: 'deny', tool: ['mcp__*', '!mcp__github__*'] }, { tool: 'mcp__fs__read', args: {}, cwd: '/' })).toBe(true);
  });

  it('matches command text with * across slashes and line breaks', () => {
    const rule: Rule = { action: 'deny', tool: 'Bash', args: { command: '*rm -rf*' } };
    expect(ruleMatches(rule, bash('rm -rf /tmp/build'))).toBe(true);
    expect(ruleMatches(rule, bash('cd /x &&\n  rm   -rf node_modules'))).toBe(true);
    expect(ruleMatches(rule, bash('rm -r build'))).toBe(false);
    expect(ruleMatches({ action: 'allow', tool: 'Bash', args: { command: ['git *', '!git push*'] } }, bash('git push --force'))).toBe(false);
    expect(ruleMatches({ action: 'allow', tool: 'Bash', args: { command: ['git *', '!git push*'] } }, bash('git status'))).toBe(true);
  });

  it('matches paths with path globs: * stays in a directory, ** crosses them', () => {
    expect(ruleMatches({ action: 'allow', tool: 'Edit', args: { file_path: '/home/me/app/*' } }, { tool: 'Edit', args: { file_path: '/home/me/app/a.ts' }, cwd: '/' })).toBe(true);
    expect(ruleMatches({ action: 'allow', tool: 'Edit', args: { file_path: '/home/me/app/*' } }, { tool: 'Edit', args: { file_path: '/home/me/app/src/a.ts' }, cwd: '/' })).toBe(false);
    expect(ruleMatches({ action: 'allow', tool: 'Edit', args: { file_path: '/home/me/app/**' } }, { tool: 'Edit', args: { file_path: '/home/me/app/src/.env' }, cwd: '/' })).toBe(true);
    expect(ruleMatches({ action: 'allow', cwd: '/home/me/**' }, bash('ls'))).toBe(true);
    expect(ruleMatches({ action: 'allow', cwd: '/srv/**' }, bash('ls'))).toBe(false);
  });

  it('matches a long hostile command in linear time, not by backtracking', () => {
    const rule: Rule = { action: 'deny', tool: 'Bash', args: { command: '*git*push*--force*' } };
    const hostile = 'git push '.repeat(20_000);
    const started = performance.now();
    expect(ruleMatches(rule, bash(hostile))).toBe(false);
    expect(ruleMatches(rule, bash(`${hostile} --force`))).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('ignores the case of tool names, and lets \\ escape a wildcard', () => {
    expect(ruleMatches({ action: 'deny', tool: 'bash' }, bash('ls'))).toBe(true);
    expect(ruleMatches({ action: 'deny', tool: 'Bash', args: { command: 'echo \\*' } }, bash('echo *'))).toBe(true);
    expect(ruleMatches({ action: 'deny', tool: 'Bash', args: { command: 'echo \\*' } }, bash('echo hi'))).toBe(false);
  });

  it('never lets an allow rule of exclusions match a call without the argument', () => {
    const allow: Rule = { action: 'allow', args: { command: '!*rm*' } };
    expect(ruleMatches(allow, bash('ls'))).toBe(true);
    expect(ruleMatches(allow, { tool: 'Write', args: { file_path: '/etc/x' }, cwd: '/' })).toBe(false);
    expect(ruleMatches({ action: 'ask', args: { command: '!*rm*' } }, { tool: 'Write', args: {}, cwd: '/' })).toBe(true);
  });

  it('matches the usual path shapes exactly as path globs do', () => {
    const read = (file_path: string) => ({ tool: 'Read', args: { file_path }, cwd: '/' });
    const env: Rule = { action: 'deny', args: { file_path: '**/.env' } };
    expect(ruleMatches(env, read('/x/y/.env'))).toBe(true);
    expect(ruleMatches(env, read('/x/a.env'))).toBe(false);
    const tree: Rule = { action: 'deny', args: { file_path: '/etc/**' } };
    expect(ruleMatches(tree, read('/etc'))).toBe(true);
    expect(ruleMatches(tree, read('/etc/ssh/sshd_config'))).toBe(true);
    expect(ruleMatches(tree, read('/etcetera/x'))).toBe(false);
    expect(ruleMatches(tree, read('//etc/./passwd'))).toBe(true);
    expect(ruleMatches({ action: 'deny', args: { file_path: '/etc/passwd' } }, read('/etc/passwd'))).toBe(true);
    expect(ruleMatches({ action: 'deny', args: { file_path: '/src/{a,b}/*.ts' } }, read('/src/b/x.ts'))).toBe(true);
  });

  it('matches path globs with classes, nested braces and ** anywhere, the same way at the start as elsewhere', () => {
    const read = (file_path: string) => ({ tool: 'Read', args: { file_path }, cwd: '/' });
    const matches = (glob: string, file: string) => ruleMatches({ action: 'deny', args: { file_path: glob } }, read(file));
    expect(matches('/**/secret', '/secret')).toBe(true);
    expect(matches('/**/secret', '/a/b/secret')).toBe(true);
    expect(matches('/a/**/b', '/a/b')).toBe(true);
    expect(matches('/a/**/b', '/a/x/y/b')).toBe(true);
    expect(matches('/a/**/b', '/a/xb')).toBe(false);
    expect(matches('/a/*', '/a/x/y')).toBe(false);
    expect(matches('/*', '/')).toBe(false);
    expect(matches('/a/?.ts', '/a/x.ts')).toBe(true);
    expect(matches('/a/?.ts', '/a/xy.ts')).toBe(false);
    expect(matches('/a/[bc].ts', '/a/c.ts')).toBe(true);
    expect(matches('/a/[!bc].ts', '/a/c.ts')).toBe(false);
    expect(matches('/a/[!bc].ts', '/a/d.ts')).toBe(true);
    expect(matches('/a/[a-c]x', '/a/bx')).toBe(true);
    expect(matches('/[[:digit:]]*', '/7up')).toBe(true);
    expect(matches('/a?b', '/a/b')).toBe(false);
    expect(matches('/x/{a,b{c,d}}/y', '/x/bd/y')).toBe(true);
    expect(matches('/x/{a,b{c,d}}/y', '/x/b/y')).toBe(false);
    expect(matches('/a/{b,c/**}', '/a/c/d/e')).toBe(true);
    expect(matches('/a/{x}', '/a/{x}')).toBe(true);
    expect(matches('/a\\*b', '/a*b')).toBe(true);
    expect(matches('/a\\*b', '/axb')).toBe(false);
    expect(matches('/a/@(x|y)', '/a/@(x|y)')).toBe(true);
  });

  it('matches adversarial path globs in linear time, so a hostile path cannot stall the daemon', () => {
    const cases: Array<[string, string]> = [
      ['/**/*-*-*-*-*.log', `/${'-'.repeat(208)}`],
      ['/**/*a*a*a*a*a*a*a*a*a*a*a*a*b', `/tmp/${'a'.repeat(34)}`],
      [`/${'{a,b}'.repeat(200)}`, `/${'ab'.repeat(100)}c`],
      ['/**/**/**/**/**/**/**/x', `/${'a/'.repeat(500)}y`],
    ];
    for (const [glob, file] of cases) {
      const started = performance.now();
      expect(ruleMatches({ action: 'deny', tool: 'Write', args: { file_path: glob } }, { tool: 'Write', args: { file_path: file }, cwd: '/' })).toBe(false);
      expect(performance.now() - started, glob).toBeLessThan(50);
    }
  });

  it('bounds the time of one decision: past it, restricting rules are taken to match and allowing ones not', () => {
    // Each of these globs is linear but slow (1000 characters against a 4000-character path); a policy of many of them
    // would hold the daemon for seconds.
    const slow = `/${'*a'.repeat(499)}c`;
    const file = `/${'a'.repeat(4000)}`;
    const rules = effectiveRules([global(policy([
      ...Array.from({ length: 30 }, (): Rule => ({ action: 'allow', tool: 'Write', args: { file_path: slow } })),
      { action: 'deny', tool: 'Write', args: { file_path: slow }, reason: 'never' },
    ]))]);
    const started = performance.now();
    const decision = decide(rules, { tool: 'Write', args: { file_path: file }, cwd: '/' }, 'ask');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(decision.decision).toBe('deny');
    expect(decision.reason).toMatch(/took over 100 ms/);
    // A cheap decision is not affected.
    expect(decide(rules, { tool: 'Write', args: { file_path: '/x' }, cwd: '/' }, 'ask')).toMatchObject({ decision: 'ask', matched: null });
  });

  it('bounds the time of one glob against one long value too', () => {
    // The two-pointer walk takes pattern times text here: seconds for a megabyte of command.
    const costly: Rule = { action: 'allow', tool: 'Bash', args: { command: `*a?${'a'.repeat(996)}b*` } };
    const rules = effectiveRules([global(policy([costly, { action: 'ask', tool: 'Bash' }]))]);
    const started = performance.now();
    const decision = decide(rules, bash('a'.repeat(1_000_000)), 'deny');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(decision).toMatchObject({ decision: 'ask', reason: expect.stringMatching(/took over 100 ms/) });
  });

  it('compares paths in their plain form, so ".." cannot step out of an allowed tree', () => {
    const rule: Rule = { action: 'allow', tool: 'Edit', args: { file_path: '/home/me/app/**' } };
    const edit = (file_path: string) => ({ tool: 'Edit', args: { file_path }, cwd: '/home/me/app' });
    expect(ruleMatches(rule, edit('/home/me/app/../../../etc/passwd'))).toBe(false);
    expect(ruleMatches(rule, edit('src/index.ts'))).toBe(true);
    expect(ruleMatches(rule, edit('../other/x'))).toBe(false);
    expect(ruleMatches({ action: 'deny', cwd: '/srv/**' }, { tool: 'Bash', args: {}, cwd: '/home/../srv/x' })).toBe(true);
  });

  it('never matches a missing argument with a positive glob, and reads other values as their JSON', () => {
    expect(ruleMatches({ action: 'deny', args: { command: '*' } }, { tool: 'Read', args: {}, cwd: '/' })).toBe(false);
    expect(ruleMatches({ action: 'deny', args: { command: '!rm*' } }, { tool: 'Read', args: {}, cwd: '/' })).toBe(true);
    expect(ruleMatches({ action: 'deny', args: { edits: '*"old_string"*' } }, { tool: 'MultiEdit', args: { edits: [{ old_string: 'a' }] }, cwd: '/' })).toBe(true);
  });

  it('needs every criterion to match', () => {
    const rule: Rule = { action: 'deny', tool: 'Bash', args: { command: 'rm *' }, cwd: '/home/**' };
    expect(ruleMatches(rule, bash('rm x', '/home/me'))).toBe(true);
    expect(ruleMatches(rule, bash('rm x', '/srv'))).toBe(false);
    expect(ruleMatches(rule, { tool: 'Edit', args: { command: 'rm x' }, cwd: '/home/me' })).toBe(false);
  });

  it('reads globs literally otherwise', () => {
    expect(ruleMatches({ action: 'deny', args: { command: 'a.b' } }, bash('axb'))).toBe(false);
    expect(ruleMatches({ action: 'deny', args: { command: '(x)' } }, bash('(x)'))).toBe(true);
  });
});

describe('evaluation order', () => {
  it('is highest priority first, first match wins', () => {
    const low = policy([{ action: 'allow', tool: 'Bash' }], { priority: 1 });
    const high = policy([{ action: 'deny', tool: 'Bash', args: { command: '*rm*' }, reason: 'no deleting' }], { priority: 10 });
    const rules = effectiveRules([global(low), global(high)]);
    expect(decide(rules, bash('rm -rf x'), 'ask')).toMatchObject({ decision: 'deny', reason: 'no deleting', matched: { policyId: high.id, ruleIndex: 0 } });
    expect(decide(rules, bash('ls'), 'ask')).toMatchObject({ decision: 'allow', matched: { policyId: low.id } });
  });

  it('keeps the order between rules that name a tool and rules with a pattern', () => {
    const first = policy([{ action: 'allow', tool: 'B*' }, { action: 'deny', tool: ['Edit', 'bash'] }, { action: 'ask', tool: '*' }]);
    expect(decide(effectiveRules([global(first)]), bash('ls'), 'deny').decision).toBe('allow');
    const second = policy([{ action: 'deny', tool: ['Edit', 'bash'] }, { action: 'allow', tool: 'B*' }]);
    expect(decide(effectiveRules([global(second)]), bash('ls'), 'ask').decision).toBe('deny');
    expect(decide(effectiveRules([global(second)]), { tool: 'Read', args: {}, cwd: '/' }, 'ask').matched).toBeNull();
    const criteriaOnly = policy([{ action: 'deny', args: { command: '*sudo*' } }, { action: 'allow', tool: 'Bash' }]);
    expect(decide(effectiveRules([global(criteriaOnly)]), bash('sudo ls'), 'ask').decision).toBe('deny');
  });

  it('keeps rule order within a policy', () => {
    const p = policy([
      { action: 'ask', tool: 'Bash', args: { command: 'git push*' } },
      { action: 'allow', tool: 'Bash', args: { command: 'git *' } },
    ]);
    const rules = effectiveRules([global(p)]);
    expect(decide(rules, bash('git push'), 'deny').decision).toBe('ask');
    expect(decide(rules, bash('git log'), 'deny').decision).toBe('allow');
  });

  it('at equal priority puts the session first, then sets, then global; a policy counts once', () => {
    const globalPolicy = policy([{ action: 'allow', tool: 'Bash' }]);
    const setPolicy = policy([{ action: 'ask', tool: 'Bash' }]);
    const sessionPolicy = policy([{ action: 'deny', tool: 'Bash' }], { sessionId: 's1' });
    const scoped: ScopedPolicy[] = [
      global(globalPolicy),
      { policy: setPolicy, origin: { kind: 'set', setId: 'set1', setName: 'team' } },
      { policy: globalPolicy, origin: { kind: 'set', setId: 'set1', setName: 'team' } },
      { policy: sessionPolicy, origin: { kind: 'session' } },
    ];
    const rules = effectiveRules(scoped);
    // The global policy is also in the set: it counts once, as a set policy (older than the set's other one).
    expect(rules.map((rule) => rule.policyId)).toEqual([sessionPolicy.id, globalPolicy.id, setPolicy.id]);
    expect(rules[1]!.origin).toEqual({ kind: 'set', setId: 'set1', setName: 'team' });
    expect(decide(rules, bash('ls'), 'ask').decision).toBe('deny');
    expect(decide(effectiveRules(scoped.slice(0, 2)), bash('ls'), 'ask').decision).toBe('ask');
  });

  it('skips disabled policies', () => {
    const off = policy([{ action: 'allow', tool: 'Bash' }], { enabled: false });
    expect(decide(effectiveRules([global(off)]), bash('ls'), 'ask')).toMatchObject({ decision: 'ask', matched: null });
  });

  it('falls back to the default action, ask or deny', () => {
    expect(decide([], bash('ls'), 'ask')).toMatchObject({ decision: 'ask', matched: null });
    expect(decide([], bash('ls'), 'deny').decision).toBe('deny');
    expect(decide([], bash('ls'), 'deny').reason).toMatch(/no policy rule matched/);
  });
});

describe('rule validation', () => {
  it('refuses a rule without criteria unless it says matchAll', () => {
    expect(ruleSchema.safeParse({ action: 'allow' }).success).toBe(false);
    expect(ruleSchema.safeParse({ action: 'allow', args: {} }).success).toBe(false);
    expect(ruleSchema.safeParse({ action: 'allow', matchAll: true }).success).toBe(true);
    expect(ruleSchema.safeParse({ action: 'allow', tool: 'Bash', matchAll: true }).success).toBe(false);
  });

  it('refuses unknown actions, fields and empty globs', () => {
    expect(ruleSchema.safeParse({ action: 'maybe', tool: 'Bash' }).success).toBe(false);
    expect(ruleSchema.safeParse({ action: 'allow', tools: 'Bash' }).success).toBe(false);
    expect(ruleSchema.safeParse({ action: 'allow', tool: '' }).success).toBe(false);
    expect(ruleSchema.safeParse({ action: 'allow', tool: [] }).success).toBe(false);
  });

  it('gives policies defaults and checks the whole list of rules', () => {
    const parsed = policyInputSchema.parse({ name: 'safe git', rules: [{ action: 'allow', tool: 'Bash', args: { command: 'git *' } }] });
    expect(parsed).toMatchObject({ enabled: true, priority: 0, sessionId: null });
    const bad = policyInputSchema.safeParse({ name: 'x', rules: [{ action: 'allow', tool: 'Bash' }, { action: 'deny' }] });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['rules', 1]);
  });
});
