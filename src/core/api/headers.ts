/**
 * HTTP headers of the daemon's protocol, declared once for the daemon and its clients. No zod here: the CLI bundle
 * imports this module, and must stay lean (scripts/build.mjs).
 */

/**
 * On every answer of the daemon, its version: a client learns which daemon it talks to from the answer it came for,
 * without a request of its own.
 */
export const VERSION_HEADER = 'x-codepiper-version';
