import { z } from 'zod';
import { SCOPES } from '../auth/types';
import { defineRoute } from './route';

/** 30m, 12h, 30d, 8w: how long a token lives (at most ten years). */
export const TOKEN_LIFETIME_PATTERN = /^([1-9][0-9]{0,5})([mhdw])$/;

export const tokenNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');

export const apiTokenSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  scope: z.enum(SCOPES),
  prefix: z.string().describe('the first characters of the token, to recognise it; the rest is never shown again'),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable().describe('to the minute'),
  expired: z.boolean(),
});
export type ApiToken = z.output<typeof apiTokenSchema>;

/**
 * API tokens for remote tools, sent as `Authorization: Bearer cpt_…`. All admin: a token of any scope is made here.
 * Creating one needs the PERSON (a login, or the socket): a token that could mint tokens could outlive its own expiry
 * or revocation through a successor. A token may list tokens and revoke one (itself included).
 */
export const tokenRoutes = [
  defineRoute({
    name: 'tokens.list',
    method: 'GET',
    path: '/tokens',
    summary: 'API tokens not revoked: name, scope, prefix, last use, expiry.',
    access: 'admin',
    input: z.strictObject({}),
    output: z.strictObject({ tokens: z.array(apiTokenSchema) }),
  }),
  defineRoute({
    name: 'tokens.create',
    method: 'POST',
    path: '/tokens',
    summary: 'Creates an API token {name, scope: read|write|admin, expiresIn?: 30d}; the token (cpt_…) is in this answer only. A person only: tokens are refused.',
    access: 'admin',
    input: z.strictObject({
      name: tokenNameSchema,
      scope: z.enum(SCOPES),
      expiresIn: z.string().regex(TOKEN_LIFETIME_PATTERN, 'a lifetime is a number and a unit: 30m, 12h, 30d or 8w').optional().describe('none: it never expires'),
    }),
    output: apiTokenSchema.extend({ token: z.string().describe('cpt_…, shown this once') }),
  }),
  defineRoute({
    name: 'tokens.revoke',
    method: 'DELETE',
    path: '/tokens/:id',
    summary: 'Revokes an API token, by id or name; it is refused from the next request on.',
    access: 'admin',
    input: z.strictObject({ id: z.string().min(1) }),
    output: apiTokenSchema,
  }),
] as const;
