import { z } from 'zod';

export const POLICY_ACTIONS = ['allow', 'deny', 'ask'] as const;
export type PolicyAction = (typeof POLICY_ACTIONS)[number];

const glob = z.string().min(1).max(1000);
const globs = z.union([glob, z.array(glob).min(1).max(100)]);

/**
 * One rule: what it decides, and what it applies to. Every criterion given must match; an omitted one matches
 * anything. `tool` and `args` values are globs (a leading `!` negates); `cwd` globs the session's directory.
 */
export const ruleSchema = z
  .strictObject({
    action: z.enum(POLICY_ACTIONS),
    tool: globs.optional(),
    args: z.record(z.string().min(1), globs).optional(),
    cwd: globs.optional(),
    reason: z.string().max(1000).optional(),
    matchAll: z.literal(true).optional().describe('required for a rule without tool, args or cwd, which matches every request'),
  })
  .superRefine((rule, ctx) => {
    const hasCriteria = rule.tool !== undefined || (rule.args !== undefined && Object.keys(rule.args).length > 0) || rule.cwd !== undefined;
    if (!hasCriteria && !rule.matchAll) {
      ctx.addIssue({ code: 'custom', message: 'a rule without tool, args or cwd matches everything; say so with "matchAll": true' });
    }
    if (hasCriteria && rule.matchAll) {
      ctx.addIssue({ code: 'custom', message: '"matchAll" is only for a rule without tool, args or cwd' });
    }
  });
export type Rule = z.output<typeof ruleSchema>;

export const policyNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._:-]{0,99}$/, 'a name is 1-100 letters, digits, spaces, ".", "_", ":" or "-", starting with a letter or digit');

export const policyInputSchema = z.strictObject({
  name: policyNameSchema,
  description: z.string().max(2000).optional(),
  enabled: z.boolean().default(true),
  priority: z.number().int().min(-1_000_000).max(1_000_000).default(0),
  sessionId: z.string().min(1).nullable().default(null),
  rules: z.array(ruleSchema).max(10_000),
});
export type PolicyInput = z.output<typeof policyInputSchema>;

/** A change to a policy: only the fields given change (no defaults here, or a partial update would reset the rest). */
export const policyUpdateSchema = z.strictObject({
  name: policyNameSchema.optional(),
  description: z.string().max(2000).nullable().optional().describe('null clears it'),
  enabled: z.boolean().optional(),
  priority: z.number().int().min(-1_000_000).max(1_000_000).optional(),
  sessionId: z.string().min(1).nullable().optional().describe('null makes the policy global'),
  rules: z.array(ruleSchema).max(10_000).optional(),
});
export type PolicyUpdate = z.output<typeof policyUpdateSchema>;

export const policySchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  enabled: z.boolean(),
  priority: z.number().int(),
  sessionId: z.string().nullable(),
  rules: z.array(ruleSchema),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Policy = z.output<typeof policySchema>;

export const policySetSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  isDefault: z.boolean(),
  policyIds: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type PolicySet = z.output<typeof policySetSchema>;
