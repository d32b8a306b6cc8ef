import { z } from 'zod';
import { PROVIDER_IDS } from '../providers';
import { defineRoute } from './route';

const empty = z.strictObject({});

const capabilities = z.strictObject({
  nativeHooks: z.boolean(),
  policyChannel: z.enum(['native-hooks', 'input-preflight', 'none']),
  metricsChannel: z.enum(['transcript', 'none']),
  supportsResume: z.boolean(),
  supportsModelSwitch: z.boolean(),
});

const binary = z.strictObject({
  command: z.string(),
  source: z.enum(['default', 'env', 'config']),
  setting: z.string().describe('the environment variable or config key that overrides it'),
  path: z.string().nullable().describe('where it was found on PATH, or null when missing'),
});

export const providerSchema = z.strictObject({
  id: z.enum(PROVIDER_IDS),
  displayName: z.string(),
  description: z.string(),
  capabilities,
  binary: binary.nullable().describe('null for providers that run the argv they are given'),
});

export const systemRoutes = [
  defineRoute({
    name: 'health',
    method: 'GET',
    path: '/health',
    summary: 'Liveness: status, version and uptime in seconds.',
    access: 'public',
    input: empty,
    output: z.strictObject({ status: z.literal('ok'), version: z.string(), uptime: z.number().nonnegative() }),
  }),
  defineRoute({
    name: 'version',
    method: 'GET',
    path: '/version',
    summary: 'Versions of the daemon, its Node.js and its API.',
    access: 'public',
    input: empty,
    output: z.strictObject({ version: z.string(), node: z.string(), api: z.number().int() }),
  }),
  defineRoute({
    name: 'providers.list',
    method: 'GET',
    path: '/providers',
    summary: 'The agent providers this daemon knows, with capability flags and where each binary was found.',
    // read, not public: it tells which agent binaries are installed on this machine and where.
    access: 'read',
    input: empty,
    output: z.strictObject({ providers: z.array(providerSchema) }),
  }),
  defineRoute({
    name: 'daemon.info',
    method: 'GET',
    path: '/daemon/info',
    summary: 'Who is serving: pid, socket, home, version, start time and uptime.',
    // local: the home, socket and pid are of use only on this machine, and the daemon's own environment (PATH, HOME,
    // the agents' homes and binaries) tells a remote caller how this machine is laid out: never served on the network.
    access: 'local',
    input: empty,
    output: z.strictObject({
      pid: z.number().int(),
      socket: z.string(),
      home: z.string(),
      tmuxSocket: z.string(),
      tmuxBinary: z.string().describe('the tmux the daemon runs; `attach` uses the same one'),
      environment: z
        .record(z.string(), z.string().nullable())
        .describe("a few of the daemon's own variables (PATH, the agents' homes, binary settings) for doctor to compare with a shell's; null when unset"),
      version: z.string(),
      startedAt: z.string(),
      uptime: z.number().nonnegative(),
    }),
  }),
  defineRoute({
    name: 'daemon.shutdown',
    method: 'POST',
    path: '/daemon/shutdown',
    summary: 'Stops the daemon after answering (agents in tmux keep running).',
    // local: no token scope covers stopping the daemon; only its user at this machine may.
    access: 'local',
    input: empty,
    output: z.strictObject({ ok: z.literal(true), pid: z.number().int() }),
  }),
  defineRoute({
    name: 'api.openapi',
    method: 'GET',
    path: '/openapi.json',
    summary: 'The OpenAPI 3.1 document of the routes the network listener serves (under /api), with the access level of each.',
    // read: any token may learn what it can call; the document names routes and schemas, nothing of this machine.
    access: 'read',
    input: empty,
    // Generated from this table (core/api/openapi.ts), not written by hand: checked as an object, no further.
    output: z.record(z.string(), z.unknown()),
  }),
] as const;
