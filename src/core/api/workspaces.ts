import { z } from 'zod';
import { PROVIDER_IDS } from '../providers';
import { defineRoute } from './route';
import { execString } from './sessions';

const idParam = z.strictObject({ id: z.string().min(1) });

export const workspaceNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a name is 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit');

const setRefs = z.array(z.string().min(1)).max(64);
const reference = z.strictObject({ id: z.string(), name: z.string() });

export const workspaceSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  dir: z.string(),
  dirExists: z.boolean().describe('whether the directory is there now (a session cannot start from a workspace whose directory is gone)'),
  description: z.string().nullable(),
  provider: z.enum(PROVIDER_IDS).nullable().describe('the default agent; null: chosen as for any session'),
  args: z.array(z.string()).describe('default arguments for the agent (or the argv for provider "command")'),
  policySets: z.array(reference).describe('applied to every session started from the workspace'),
  envSets: z.array(reference).describe('applied in this order, before any the session names itself'),
  worktree: z.boolean().describe('sessions started from it get their own git worktree by default'),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Workspace = z.output<typeof workspaceSchema>;

export const workspaceCreateSchema = z.strictObject({
  name: workspaceNameSchema,
  dir: execString.min(1).describe('absolute path of an existing directory'),
  description: z.string().max(2000).optional(),
  provider: z.enum(PROVIDER_IDS).optional(),
  args: z.array(execString).max(256).default([]),
  policySetIds: setRefs.default([]).describe('policy sets, by id or name'),
  envSetIds: setRefs.default([]).describe('env sets, by id or name, in the order they apply'),
  worktree: z.boolean().default(false),
});
export type WorkspaceCreate = z.output<typeof workspaceCreateSchema>;

export const workspaceUpdateSchema = z.strictObject({
  name: workspaceNameSchema.optional(),
  dir: execString.min(1).optional(),
  description: z.string().max(2000).nullable().optional().describe('null clears it'),
  provider: z.enum(PROVIDER_IDS).nullable().optional().describe('null clears it'),
  args: z.array(execString).max(256).optional().describe('replaces the list'),
  policySetIds: setRefs.optional().describe('replaces the list'),
  envSetIds: setRefs.optional().describe('replaces the list'),
  worktree: z.boolean().optional(),
});
export type WorkspaceUpdate = z.output<typeof workspaceUpdateSchema>;

/**
 * Access: reading workspaces is `read`; creating, changing or deleting one is `admin`: a workspace chooses the argv,
 * the env sets and the policy sets of every session started from it, so changing it changes what runs, with what
 * environment, under which rules.
 */
export const workspaceRoutes = [
  defineRoute({
    name: 'workspaces.list',
    method: 'GET',
    path: '/workspaces',
    summary: 'Every workspace by name: its directory and the defaults sessions started from it get.',
    access: 'read',
    input: z.strictObject({}),
    output: z.strictObject({ workspaces: z.array(workspaceSchema) }),
  }),
  defineRoute({
    name: 'workspaces.create',
    method: 'POST',
    path: '/workspaces',
    summary: 'Creates a workspace: {name, dir, description?, provider?, args[], policySetIds[], envSetIds[], worktree}; dir must exist.',
    // admin: its args and sets are what sessions started from it run with.
    access: 'admin',
    input: workspaceCreateSchema,
    output: workspaceSchema,
  }),
  defineRoute({
    name: 'workspaces.get',
    method: 'GET',
    path: '/workspaces/:id',
    summary: 'One workspace, by id or name.',
    access: 'read',
    input: idParam,
    output: workspaceSchema,
  }),
  defineRoute({
    name: 'workspaces.update',
    method: 'PATCH',
    path: '/workspaces/:id',
    summary: 'Changes the fields given; lists, when given, replace the old ones.',
    // admin: as create.
    access: 'admin',
    input: idParam.extend(workspaceUpdateSchema.shape),
    output: workspaceSchema,
  }),
  defineRoute({
    name: 'workspaces.delete',
    method: 'DELETE',
    path: '/workspaces/:id',
    summary: 'Deletes a workspace (not its directory, nor the sets it used; sessions started from it keep running).',
    // admin: as create.
    access: 'admin',
    input: idParam,
    output: workspaceSchema,
  }),
] as const;
