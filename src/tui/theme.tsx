import React, { createContext, useContext } from 'react';
import type { Session } from './state';

/**
 * Colour is a preference: with NO_COLOR set (https://no-color.org) nothing is coloured, and what must stand out
 * (sessions waiting for the user, the selection) does so with symbols, bold and inverse instead.
 */
export interface Theme {
  colour: boolean;
}

const ThemeContext = createContext<Theme>({ colour: true });

export function ThemeProvider({ theme, children }: { theme: Theme; children: React.ReactNode }): React.JSX.Element {
  return <ThemeContext.Provider value={theme}>{children}</ThemeContext.Provider>;
}

/** A colour name, or undefined when colour is off: pass the result straight to Ink's color prop. */
export function useColour(): (name: string) => string | undefined {
  const { colour } = useContext(ThemeContext);
  return (name) => (colour ? name : undefined);
}

export function useTheme(): Theme {
  return useContext(ThemeContext);
}

export function themeFromEnv(env: NodeJS.ProcessEnv = process.env): Theme {
  return { colour: !env.NO_COLOR };
}

/** The order of the counts in the status line: what wants the user first, as in the list. */
export const STATUS_ORDER: ReadonlyArray<Session['state']> = ['needs_permission', 'needs_input', 'running', 'starting', 'idle', 'crashed', 'stopped'];

/** How each state looks in the list: a symbol that reads without colour, a colour, and whether it wants the user. */
export const STATE_LOOK: Record<Session['state'], { symbol: string; colour: string; label: string; attention: boolean }> = {
  needs_permission: { symbol: '!', colour: 'magenta', label: 'permission', attention: true },
  needs_input: { symbol: '?', colour: 'yellow', label: 'needs input', attention: true },
  running: { symbol: '●', colour: 'green', label: 'running', attention: false },
  starting: { symbol: '◌', colour: 'cyan', label: 'starting', attention: false },
  idle: { symbol: '○', colour: 'blue', label: 'idle', attention: false },
  crashed: { symbol: '✖', colour: 'red', label: 'crashed', attention: false },
  stopped: { symbol: '■', colour: 'gray', label: 'stopped', attention: false },
};
