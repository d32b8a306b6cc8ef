// Injected by the build (scripts/build.mjs) and by vitest.config.mts; a source run through tsx has no build.
declare const __CODEPIPER_VERSION__: string | undefined;

export const VERSION: string = typeof __CODEPIPER_VERSION__ === 'string' ? __CODEPIPER_VERSION__ : '0.0.0-dev';
