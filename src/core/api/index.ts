import type { z } from 'zod';
import { analyticsRoutes } from './analytics';
import { controlRoutes } from './controls';
import { gitRoutes } from './git';
import { libraryRoutes } from './library';
import { policyRoutes } from './policies';
import type { RouteDef } from './route';
import { searchRoutes } from './search';
import { sessionRoutes } from './sessions';
import { settingsRoutes } from './settings';
import { systemRoutes } from './system';
import { envSetRoutes } from './env-sets';
import { workspaceRoutes } from './workspaces';
import { worktreeRoutes } from './worktrees';
import { webRoutes } from './web';
import { authRoutes } from './auth';
import { tokenRoutes } from './tokens';
import { notifyRoutes } from './notify';

/** The whole contract. Each resource file adds its routes here. */
export const routes = [...systemRoutes, ...sessionRoutes, ...policyRoutes, ...analyticsRoutes, ...searchRoutes, ...libraryRoutes, ...settingsRoutes, ...controlRoutes, ...gitRoutes, ...worktreeRoutes, ...envSetRoutes, ...workspaceRoutes, ...webRoutes, ...authRoutes, ...tokenRoutes, ...notifyRoutes] as const;

export type AnyRoute = (typeof routes)[number];
export type RouteName = AnyRoute['name'];
export type RouteByName<N extends RouteName> = Extract<AnyRoute, { name: N }>;

/** What a caller passes (before defaults and coercion). */
export type RouteInput<N extends RouteName> = z.input<RouteByName<N>['input']>;
/** What a handler receives (after parsing). */
export type RouteParsedInput<N extends RouteName> = z.output<RouteByName<N>['input']>;
/** What a caller gets back. */
export type RouteOutput<N extends RouteName> = z.output<RouteByName<N>['output']>;

export const routesByName: ReadonlyMap<string, RouteDef> = new Map(routes.map((route) => [route.name, route as RouteDef]));

export { defineRoute, inputInQuery, isRouteAccess, pathParamNames, ROUTE_ACCESS_LEVELS, type HttpMethod, type RouteAccess, type RouteDef } from './route';
