import type { Client } from 'undici';
import { waitFor } from './wait';

export interface ApiResult {
  status: number;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- answers are checked by the tests themselves
}

/**
 * The JSON routes of a real daemon as the integration tests use them: raw requests (any status comes back), and waits
 * with a deadline for a session's screen or state.
 */
export function daemonApi(client: () => Client) {
  async function api(method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResult> {
    const response = await client().request({
      method: method as 'GET',
      path: route,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.body.text();
    return { status: response.statusCode, json: text ? JSON.parse(text) : undefined };
  }

  async function screen(id: string): Promise<string> {
    return (await api('GET', `/sessions/${id}/output`)).json.text as string;
  }

  function untilScreen(id: string, pattern: RegExp): Promise<string> {
    return waitFor(async () => {
      const text = await screen(id);
      return pattern.test(text) ? text : undefined;
    }, { what: `${pattern} on the screen of ${id}`, timeoutMs: 15_000 });
  }

  function untilState(id: string, state: string) {
    return waitFor(async () => {
      const session = (await api('GET', `/sessions/${id}`)).json;
      return session.state === state ? session : undefined;
    }, { what: `session ${id} to be ${state}`, timeoutMs: 15_000 });
  }

  return { api, screen, untilScreen, untilState };
}
