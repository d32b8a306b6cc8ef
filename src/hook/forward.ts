import fs from 'node:fs';
import http from 'node:http';
import { HOOK_DEADLINE_HEADER, HOOK_SECRET_HEADER, HOOK_SESSION_HEADER } from '../core/api/headers';
import { MAX_JSON_DEPTH, jsonNestsDeeperThan } from '../core/api/json';
import { routeManifest } from '../core/api/manifest';
import { resolvePaths } from '../core/paths';

/**
 * `codepiper hook-forward`: what Claude Code's hooks run. Reads the hook JSON on stdin, hands it to the daemon with
 * the session id and the hook secret, and prints the daemon's answer in Claude Code's format. Whatever goes wrong
 * (daemon down, slow, broken; garbage in) it prints nothing and exits 0, so the agent's own permission prompt stays in
 * charge: never a silent allow. Kept to Node built-ins so that it starts about as fast as Node itself.
 */

/** Where hook events go: the contract's hooks.claude route (the manifest is inlined at build time). */
const HOOK_ROUTE = routeManifest['hooks.claude']!;

/**
 * Everything is over by then, counted from the process's start: on a loaded machine Node's own start-up can take a
 * second, and the agent's bound (2.5 s) counts it too.
 */
const DEADLINE_MS = 2000;
/** The most of an answer read: the daemon's answers are a few hundred bytes, and a broken one must not fill memory. */
const MAX_ANSWER_BYTES = 1024 * 1024;
/** What is read of stdin at most; a tool call bigger than the daemon takes is answered here (see prepare). */
const MAX_INPUT_BYTES = 64 * 1024 * 1024;
/** The daemon's request limit is 1 MiB; room is left for the headers' sake. */
const MAX_FORWARD_BYTES = 1000 * 1024;

export async function hookForward(): Promise<void> {
  const left = Math.max(0, DEADLINE_MS - process.uptime() * 1000);
  // The daemon is told when this process stops waiting, so that an answer it gives later is audited as timed out.
  const deadline = Date.now() + left;
  const timer = setTimeout(() => process.exit(0), left);
  try {
    const input = await readStdin();
    const request = prepare(input, deadline);
    if (!request) return;
    if ('answer' in request) {
      process.stdout.write(JSON.stringify(request.answer) + '\n');
      return;
    }
    const answer = await post(request.socket, request.headers, request.body);
    if (answer) process.stdout.write(answer + '\n');
  } catch {
    // any failure: no decision
  } finally {
    clearTimeout(timer);
  }
}

function prepare(input: string, deadline: number): { socket: string; headers: Record<string, string>; body: string } | { answer: unknown } | undefined {
  const session = process.env.CODEPIPER_SESSION;
  if (!session) return undefined; // not run by a CodePiper session
  const paths = resolvePaths();
  const secret = process.env.CODEPIPER_SECRET || readSecret(paths.secrets);
  if (!secret) return undefined;
  let body: string;
  try {
    const value: unknown = JSON.parse(input);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    // What the daemon would refuse (too big, or nested deeper than it reads) is settled here.
    const unfit =
      Buffer.byteLength(input) > MAX_FORWARD_BYTES ? 'too large' : jsonNestsDeeperThan(input) ? `nested deeper than ${MAX_JSON_DEPTH} levels` : undefined;
    if (unfit && (value as { hook_event_name?: unknown }).hook_event_name === 'PreToolUse') {
      // Unfit for policy to see: the person decides, never a silent allow (an agent chooses its content).
      return {
        answer: {
          hookSpecificOutput: {
            hookEventName: 'PreToolUse',
            permissionDecision: 'ask',
            permissionDecisionReason: `CodePiper: this tool call is ${unfit} for a policy check; asking you instead`,
          },
        },
      };
    }
    body = input;
    if (unfit) {
      // A permission box will show on its own; other events only need their small fields (a big tool_response).
      if ((value as { hook_event_name?: unknown }).hook_event_name === 'PermissionRequest') return undefined;
      const small = Object.fromEntries(Object.entries(value).filter(([, field]) => typeof field !== 'object' && String(field).length <= 10_000));
      body = JSON.stringify(small);
    }
  } catch {
    // Sent anyway, so the daemon can record that this session's hook got something it could not read.
    body = JSON.stringify({ invalidPayload: input.slice(0, 10_000) });
  }
  return {
    socket: process.env.CODEPIPER_SOCKET || paths.socket,
    headers: { 'content-type': 'application/json', [HOOK_SESSION_HEADER]: session, [HOOK_SECRET_HEADER]: secret, [HOOK_DEADLINE_HEADER]: String(Math.round(deadline)) },
    body,
  };
}

function readSecret(file: string): string | undefined {
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as { hookSecret?: unknown };
    return typeof value.hookSecret === 'string' ? value.hookSecret : undefined;
  } catch {
    return undefined;
  }
}

function readStdin(): Promise<string> {
  return new Promise((resolve) => {
    if (process.stdin.isTTY) return resolve('');
    const chunks: Buffer[] = [];
    let bytes = 0;
    process.stdin.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= MAX_INPUT_BYTES) chunks.push(chunk);
    });
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', () => resolve(''));
  });
}

/** The JSON to print, or undefined for no decision. */
function post(socket: string, headers: Record<string, string>, body: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: socket, method: HOOK_ROUTE.method, path: HOOK_ROUTE.path, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        chunks.push(chunk);
        if (bytes > MAX_ANSWER_BYTES) {
          // No answer this size is one of ours: no decision, and stop reading at once.
          resolve(undefined);
          req.destroy();
        }
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return resolve(undefined);
        try {
          const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { output?: unknown };
          resolve(answer.output && typeof answer.output === 'object' ? JSON.stringify(answer.output) : undefined);
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('error', () => resolve(undefined));
    req.end(body);
  });
}

void hookForward();
