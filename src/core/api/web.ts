import { z } from 'zod';
import { defineRoute } from './route';

export const webRoutes = [
  defineRoute({
    name: 'web.status',
    method: 'GET',
    path: '/web/status',
    summary: 'Whether the daemon serves HTTP (--web), at which URL, and whether web login is set up.',
    access: 'read',
    input: z.strictObject({}),
    output: z.strictObject({
      enabled: z.boolean(),
      url: z.string().nullable().describe('where the API is served (add /api), or null when --web is off'),
      host: z.string().nullable(),
      port: z.number().int().nullable(),
      tls: z.boolean(),
      insecureHttp: z.boolean().describe('plain HTTP was allowed on an address other machines reach'),
      trustProxy: z.boolean(),
      setupDone: z.boolean().describe('a web password is set (POST /auth/setup was made)'),
      mfaEnabled: z.boolean(),
    }),
  }),
] as const;
