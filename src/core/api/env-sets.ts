import { z } from 'zod';
import { LENGTH_CLASSES } from '../env-sets/mask';
import { defineRoute } from './route';
import { envName, execString } from './sessions';

const idParam = z.strictObject({ id: z.string().min(1) });

/** Most variables one set holds: a set is what a person keeps by hand, not a dump of a whole environment. */
export const MAX_ENV_SET_VARIABLES = 1000;

export const envSetNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');

const variables = z
  .record(envName, execString)
  .refine((value) => Object.keys(value).length <= MAX_ENV_SET_VARIABLES, `at most ${MAX_ENV_SET_VARIABLES} variables`);

export const maskedVariableSchema = z.strictObject({
  name: z.string(),
  masked: z.string().describe('the same mask for every value of its length class; never any character of the value'),
  length: z.enum(LENGTH_CLASSES).describe('empty, short (1-8 bytes), medium (9-32) or long (33 and more)'),
});

export const envSetSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  variables: z.array(maskedVariableSchema).describe('by name; values are never shown'),
  workspaces: z.array(z.string()).describe('names of the workspaces that use the set (it cannot be deleted while any does)'),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type EnvSet = z.output<typeof envSetSchema>;

export const envSetCreateSchema = z.strictObject({
  name: envSetNameSchema,
  description: z.string().max(2000).optional(),
  variables: variables.default({}).describe('KEY: value; kept encrypted at rest, never shown again'),
});
export type EnvSetCreate = z.output<typeof envSetCreateSchema>;

export const envSetUpdateSchema = z.strictObject({
  name: envSetNameSchema.optional(),
  description: z.string().max(2000).nullable().optional().describe('null clears it'),
  set: variables.optional().describe('variables to add or change; the others stay as they are'),
  unset: z.array(envName).max(MAX_ENV_SET_VARIABLES).optional().describe('variables to remove; each must be in the set'),
});
export type EnvSetUpdate = z.output<typeof envSetUpdateSchema>;

/**
 * Access: reading a set's names (and masks) is `read`; creating, changing or deleting a set is `admin`, because a
 * set's variables go into every session started with it, and one (PATH, LD_PRELOAD, NODE_OPTIONS, a tool's config
 * variable) is enough to choose what runs there.
 */
export const envSetRoutes = [
  defineRoute({
    name: 'envSets.list',
    method: 'GET',
    path: '/env-sets',
    summary: 'Every env set by name, with its variable names and masked values.',
    // read: names and masks only; no value leaves the daemon through any route.
    access: 'read',
    input: z.strictObject({}),
    output: z.strictObject({ envSets: z.array(envSetSchema) }),
  }),
  defineRoute({
    name: 'envSets.create',
    method: 'POST',
    path: '/env-sets',
    summary: 'Creates an env set: {name, description?, variables: {KEY: value}}; values are encrypted at rest and never shown.',
    // admin: its variables go into the environment of the sessions that use it (PATH or LD_PRELOAD choose what runs).
    access: 'admin',
    input: envSetCreateSchema,
    output: envSetSchema,
  }),
  defineRoute({
    name: 'envSets.get',
    method: 'GET',
    path: '/env-sets/:id',
    summary: 'One env set, by id or name: variable names and masked values.',
    access: 'read',
    input: idParam,
    output: envSetSchema,
  }),
  defineRoute({
    name: 'envSets.update',
    method: 'PATCH',
    path: '/env-sets/:id',
    summary: 'Renames or describes a set, sets variables (set: {KEY: value}) and removes others (unset: [KEY]); what is not named stays.',
    // admin: as create; changing one variable changes what every later session with the set runs with.
    access: 'admin',
    input: idParam.extend(envSetUpdateSchema.shape),
    output: envSetSchema,
  }),
  defineRoute({
    name: 'envSets.delete',
    method: 'DELETE',
    path: '/env-sets/:id',
    summary: 'Deletes an env set; refused while a workspace uses it (the error lists them). Sessions keep the values they started with.',
    // admin: as create.
    access: 'admin',
    input: idParam,
    output: envSetSchema,
  }),
] as const;
