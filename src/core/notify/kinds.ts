/**
 * What a notification is about. Session kinds come from the session engine's own state changes; `resolved` follows
 * a question once it is answered (anywhere); the workflow kinds are declared for the workflow engine, which emits them
 * through NotifyEngine.emitWorkflow; `test` is what `codepiper notify test` sends. Free of imports: the configuration
 * schema and the API contract both read it.
 */
export const NOTIFY_KINDS = ['needs_permission', 'needs_input', 'turn_finished', 'crashed', 'resolved', 'workflow_needs_approval', 'workflow_ended', 'test'] as const;
export type NotifyKind = (typeof NOTIFY_KINDS)[number];

/** The kinds a channel gets when its rule names none: everything that asks for the person, not the follow-ups. */
export const DEFAULT_NOTIFY_KINDS: readonly NotifyKind[] = ['needs_permission', 'needs_input', 'turn_finished', 'crashed', 'workflow_needs_approval', 'workflow_ended'];
