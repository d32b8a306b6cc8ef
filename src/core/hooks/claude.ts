import type { PolicyAction } from '../policies/schema';
import type { SessionState } from '../sessions/state';

/**
 * The Claude Code hook events CodePiper registers in a session's settings overlay. PostToolUseFailure too: a tool that
 * ran and failed was still allowed, and the audit must not read its missing PostToolUse as a denial.
 */
export const CLAUDE_HOOK_EVENTS = [
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PermissionRequest',
  'PostToolUse',
  'PostToolUseFailure',
  'Notification',
  'Stop',
  'SessionEnd',
] as const;

/** Seconds Claude Code gives our hook command; hook-forward itself gives up after about 2. */
const HOOK_TIMEOUT_SECONDS = 10;

/**
 * The settings overlay passed with `claude --settings <file>`: every event runs `command` (hook-forward). The user's
 * own settings files are never touched; Claude Code merges this one on top of them.
 */
export function claudeSettingsOverlay(command: string): { hooks: Record<string, Array<{ hooks: Array<{ type: 'command'; command: string; timeout: number }> }>> } {
  return {
    hooks: Object.fromEntries(CLAUDE_HOOK_EVENTS.map((event) => [event, [{ hooks: [{ type: 'command' as const, command, timeout: HOOK_TIMEOUT_SECONDS }] }]])),
  };
}

/** Claude Code's tool that asks the person a question (a menu of answers): it waits for input, not for permission. */
const QUESTION_TOOLS = new Set(['AskUserQuestion']);

/**
 * What a hook event says about the session's state, if anything (fresh hook state wins over screen guesses). A
 * question to the person is needs_input whichever event brings it: AskUserQuestion comes as a PermissionRequest.
 */
export function stateForHook(payload: Record<string, unknown>): SessionState | undefined {
  switch (payload.hook_event_name) {
    case 'PermissionRequest':
      return typeof payload.tool_name === 'string' && QUESTION_TOOLS.has(payload.tool_name) ? 'needs_input' : 'needs_permission';
    case 'UserPromptSubmit':
    case 'PreToolUse':
    case 'PostToolUse':
    case 'PostToolUseFailure':
      return 'running';
    case 'Stop':
      return 'idle';
    case 'Notification':
      if (payload.notification_type === 'idle_prompt') return 'needs_input';
      if (payload.notification_type === 'permission_prompt') return 'needs_permission';
      return undefined;
    default:
      return undefined;
  }
}

/**
 * Whether the hook's state holds until the person acts, whatever the screen looks like meanwhile: Claude Code's
 * idle_prompt says it is waiting for the person, on a screen that looks merely idle (see StateWatcher).
 */
export function holdsUntilInput(payload: Record<string, unknown>): boolean {
  return payload.hook_event_name === 'Notification' && payload.notification_type === 'idle_prompt';
}

/**
 * A decision in Claude Code's own format for the event, or null to print nothing (the agent's own permission flow
 * stays in charge). Only an explicit rule decides: a request no rule matched under the default "ask" gets no answer,
 * while the default "deny" does deny.
 */
export function claudeAnswer(event: string, decision: { decision: PolicyAction; reason: string; explicit: boolean }): Record<string, unknown> | null {
  const reason = decision.reason.slice(0, 10_000);
  if (decision.decision === 'ask' && !decision.explicit) return null;
  if (event === 'PreToolUse') {
    return { hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: decision.decision, permissionDecisionReason: reason } };
  }
  if (event === 'PermissionRequest') {
    // The permission box is about to show: "ask" is what it does anyway.
    if (decision.decision === 'ask') return null;
    return {
      hookSpecificOutput: {
        hookEventName: 'PermissionRequest',
        decision: decision.decision === 'allow' ? { behavior: 'allow' } : { behavior: 'deny', message: reason },
      },
    };
  }
  return null;
}
