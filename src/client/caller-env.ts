/**
 * What a client sends as `callerEnv` with sessions.create: its own environment, so the agent starts as a program
 * started from the same shell would. The daemon decides what of it crosses into the session; here only what the
 * contract cannot carry is left out (a variable too long for one exec argument), so that no shell's environment makes
 * a start fail.
 */
const MAX_VALUE_CHARS = 100_000;

export function callerEnvironment(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const sent: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || name === '' || name.includes('=') || name.includes('\0') || name.length > 1000) continue;
    if (value.length > MAX_VALUE_CHARS || value.includes('\0')) continue;
    sent[name] = value;
  }
  return sent;
}
