import { routes } from './index';
import type { HttpMethod, RouteAccess } from './route';

export interface RouteManifestEntry {
  method: HttpMethod;
  path: string;
  access: RouteAccess;
}

/**
 * What a client needs to reach a route, derived from the contract. The CLI bundle gets this object inlined at build
 * time (scripts/build.mjs), so a command does not pay for loading zod just to learn a method and a path.
 */
export const routeManifest: Record<string, RouteManifestEntry> = Object.fromEntries(
  routes.map((route) => [route.name, { method: route.method, path: route.path, access: route.access }]),
);
