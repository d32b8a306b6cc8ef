import { z } from 'zod';
import { AUDIT_OUTCOMES, OUTCOME_BY, OUTCOME_VIA } from '../policies/outcome';
import { POLICY_ACTIONS, policyInputSchema, policyNameSchema, policySchema, policySetSchema, policyUpdateSchema, ruleSchema } from '../policies/schema';
import { queryFlag } from './fields';
import { HOOK_SECRET_HEADER, HOOK_SESSION_HEADER } from './headers';
import { defineRoute } from './route';

const idParam = z.strictObject({ id: z.string().min(1) });
const origin = z.union([
  z.strictObject({ kind: z.literal('session') }),
  z.strictObject({ kind: z.literal('set'), setId: z.string(), setName: z.string() }),
  z.strictObject({ kind: z.literal('global') }),
]);
const setInput = z.strictObject({
  name: policyNameSchema,
  description: z.string().max(2000).optional(),
  isDefault: z.boolean().default(false).describe('applied to every new session; at most one set is the default'),
  policyIds: z.array(z.string().min(1)).max(1000).default([]),
});

export const decisionSchema = z.strictObject({
  id: z.number().int(),
  at: z.string(),
  sessionId: z.string().nullable(),
  event: z.string(),
  policyId: z.string().nullable(),
  policyName: z.string().nullable(),
  ruleIndex: z.number().int().nullable(),
  tool: z.string(),
  args: z.record(z.string(), z.unknown()),
  decision: z.enum(POLICY_ACTIONS),
  reason: z.string(),
  toolUseId: z.string().nullable().describe("the agent's id of the tool call, linking its later events"),
  askedAt: z.string().nullable().describe('when the agent showed its permission prompt for it (its PermissionRequest)'),
  outcome: z
    .enum(AUDIT_OUTCOMES)
    .nullable()
    .describe('what became of it: allowed, denied, timed_out (policy answered too late), session_ended (never answered), pending; null: recorded before outcomes were kept'),
  outcomeBy: z.enum(OUTCOME_BY).nullable().describe("who settled it: policy, person, or agent (the agent's own permission settings)"),
  outcomeVia: z.enum(OUTCOME_VIA).nullable().describe("how a person answered: cli, tui, api (approve/deny routes) or agent-ui (typed in the agent)"),
  outcomeAt: z.string().nullable().describe('when it was settled'),
});

/**
 * Access: reading policies, sets and the audit log is `read`; every change to a policy, to a set, or to which sets
 * apply to a session is `admin`, because any of them can loosen what agents may do without asking.
 */
export const policyRoutes = [
  defineRoute({
    name: 'policies.list',
    method: 'GET',
    path: '/policies',
    summary: 'Every policy, highest priority first; sessionId filters to one session\'s own.',
    access: 'read',
    input: z.strictObject({ sessionId: z.string().optional() }),
    output: z.strictObject({ policies: z.array(policySchema) }),
  }),
  defineRoute({
    name: 'policies.create',
    method: 'POST',
    path: '/policies',
    summary: 'Creates a policy: {name, description?, enabled, priority, sessionId?, rules[]}.',
    access: 'admin',
    input: policyInputSchema,
    output: policySchema,
  }),
  defineRoute({
    name: 'policies.get',
    method: 'GET',
    path: '/policies/:id',
    summary: 'One policy, by id or name.',
    access: 'read',
    input: idParam,
    output: policySchema,
  }),
  defineRoute({
    name: 'policies.update',
    method: 'PUT',
    path: '/policies/:id',
    summary: 'Changes the fields given; rules, when given, replace the list.',
    access: 'admin',
    input: idParam.extend(policyUpdateSchema.shape),
    output: policySchema,
  }),
  defineRoute({
    name: 'policies.delete',
    method: 'DELETE',
    path: '/policies/:id',
    summary: 'Deletes a policy (its audit rows stay).',
    access: 'admin',
    input: idParam,
    output: policySchema,
  }),
  defineRoute({
    name: 'policySets.list',
    method: 'GET',
    path: '/policy-sets',
    summary: 'Every policy set with its policies.',
    access: 'read',
    input: z.strictObject({}),
    output: z.strictObject({ policySets: z.array(policySetSchema) }),
  }),
  defineRoute({
    name: 'policySets.create',
    method: 'POST',
    path: '/policy-sets',
    summary: 'Creates a set: {name, description?, isDefault, policyIds[]}.',
    access: 'admin',
    input: setInput,
    output: policySetSchema,
  }),
  defineRoute({
    name: 'policySets.get',
    method: 'GET',
    path: '/policy-sets/:id',
    summary: 'One set, by id or name.',
    access: 'read',
    input: idParam,
    output: policySetSchema,
  }),
  defineRoute({
    name: 'policySets.update',
    method: 'PUT',
    path: '/policy-sets/:id',
    summary: 'Changes the fields given; policyIds, when given, replace the members.',
    access: 'admin',
    input: idParam.extend({
      name: policyNameSchema.optional(),
      description: z.string().max(2000).nullable().optional().describe('null clears it'),
      isDefault: z.boolean().optional(),
      policyIds: z.array(z.string().min(1)).max(1000).optional(),
    }),
    output: policySetSchema,
  }),
  defineRoute({
    name: 'policySets.delete',
    method: 'DELETE',
    path: '/policy-sets/:id',
    summary: 'Deletes a set (its policies stay).',
    access: 'admin',
    input: idParam,
    output: policySetSchema,
  }),
  defineRoute({
    name: 'policySets.addPolicy',
    method: 'POST',
    path: '/policy-sets/:id/policies',
    summary: 'Adds a policy to a set.',
    access: 'admin',
    input: idParam.extend({ policyId: z.string().min(1) }),
    output: policySetSchema,
  }),
  defineRoute({
    name: 'policySets.removePolicy',
    method: 'DELETE',
    path: '/policy-sets/:id/policies/:policyId',
    summary: 'Removes a policy from a set.',
    access: 'admin',
    input: idParam.extend({ policyId: z.string().min(1) }),
    output: policySetSchema,
  }),
  defineRoute({
    name: 'sessions.policySets',
    method: 'GET',
    path: '/sessions/:id/policy-sets',
    summary: 'The policy sets applied to a session.',
    access: 'read',
    input: idParam,
    output: z.strictObject({ policySets: z.array(policySetSchema) }),
  }),
  defineRoute({
    name: 'sessions.addPolicySet',
    method: 'POST',
    path: '/sessions/:id/policy-sets',
    summary: 'Applies a policy set to a session.',
    // admin: a set can bring allow rules that outrank what would otherwise ask.
    access: 'admin',
    input: idParam.extend({ setId: z.string().min(1) }),
    output: z.strictObject({ policySets: z.array(policySetSchema) }),
  }),
  defineRoute({
    name: 'sessions.removePolicySet',
    method: 'DELETE',
    path: '/sessions/:id/policy-sets/:setId',
    summary: 'Stops applying a policy set to a session.',
    // admin: detaching a set drops its deny rules for that session.
    access: 'admin',
    input: idParam.extend({ setId: z.string().min(1) }),
    output: z.strictObject({ policySets: z.array(policySetSchema) }),
  }),
  defineRoute({
    name: 'sessions.effectivePolicies',
    method: 'GET',
    path: '/sessions/:id/effective-policies',
    summary: 'Every rule that applies to a session, in the order it is tried, with the policy and set it comes from.',
    access: 'read',
    input: idParam,
    output: z.strictObject({
      defaultAction: z.enum(['ask', 'deny']),
      dangerousMode: z.boolean(),
      rules: z.array(
        z.strictObject({ policyId: z.string(), policyName: z.string(), priority: z.number().int(), origin, ruleIndex: z.number().int(), rule: ruleSchema }),
      ),
    }),
  }),
  defineRoute({
    name: 'sessions.policy',
    method: 'GET',
    path: '/sessions/:id/policy',
    summary: "The session's own policy (null until one is set).",
    access: 'read',
    input: idParam,
    output: z.strictObject({ policy: policySchema.nullable() }),
  }),
  defineRoute({
    name: 'sessions.setPolicy',
    method: 'PUT',
    path: '/sessions/:id/policy',
    summary: "Sets the session's own policy: {rules[], enabled?, priority?}.",
    // admin: a session's own policy can allow what the global policies would ask about.
    access: 'admin',
    input: idParam.extend({ rules: z.array(ruleSchema).max(10_000), enabled: z.boolean().optional(), priority: z.number().int().optional() }),
    output: z.strictObject({ policy: policySchema }),
  }),
  defineRoute({
    name: 'policyDecisions.list',
    method: 'GET',
    path: '/policy-decisions',
    summary:
      'The audit log, newest first: one row per question with its policy, rule, tool, redacted arguments, reason, and its outcome (who settled it, how, when).',
    // read: the audit log; arguments are stored with secrets redacted.
    access: 'read',
    input: z.strictObject({
      sessionId: z.string().optional(),
      limit: z.coerce.number().int().min(1).max(10_000).default(100),
      offset: z.coerce.number().int().min(0).default(0),
    }),
    output: z.strictObject({ decisions: z.array(decisionSchema), total: z.number().int() }),
  }),
  defineRoute({
    name: 'hooks.claude',
    method: 'POST',
    path: '/hooks/claude',
    summary:
      `A Claude Code hook event (the JSON Claude Code gives its hooks), with the session in ${HOOK_SESSION_HEADER} and the hook secret in ${HOOK_SECRET_HEADER}; answers the output to print, or null.`,
    // local: it trusts the per-daemon hook secret, which is for agents on this machine (hook-forward uses the socket).
    // A Claude Code http hook over the network would need this decided again.
    access: 'local',
    input: z.record(z.string(), z.unknown()),
    output: z.strictObject({ output: z.record(z.string(), z.unknown()).nullable() }),
  }),
  defineRoute({
    name: 'hooks.status',
    method: 'GET',
    path: '/hooks',
    summary: 'Where hooks are installed: per claude-code session, its settings overlay and the events it registers.',
    access: 'read',
    input: z.strictObject({ all: queryFlag.default(false) }),
    output: z.strictObject({
      command: z.string(),
      sessions: z.array(z.strictObject({ sessionId: z.string(), state: z.string(), settingsFile: z.string(), installed: z.boolean(), events: z.array(z.string()) })),
    }),
  }),
] as const;
