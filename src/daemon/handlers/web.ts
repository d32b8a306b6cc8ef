import type { Handlers } from '../router';

/** The TCP listener as the daemon runs it. */
export const webHandlers = {
  'web.status': (_input, { daemon }) => {
    const web = daemon.web();
    const auth = daemon.core.auth.status({ local: true });
    return {
      enabled: web !== undefined,
      url: web?.url ?? null,
      host: web?.options.host ?? null,
      port: web?.port ?? null,
      tls: web?.options.tls !== undefined,
      insecureHttp: web?.options.insecureHttp ?? false,
      trustProxy: web?.options.trustProxy ?? false,
      setupDone: auth.setupDone,
      mfaEnabled: auth.mfaEnabled,
    };
  },
} satisfies Pick<Handlers, 'web.status'>;
