import { Box, useInput, useStdout } from 'ink';
import React, { useEffect, useState, useSyncExternalStore } from 'react';
import { Bottom } from './components/Bottom';
import { TabBar } from './components/TabBar';
import type { Controller } from './controller';
import { routeKey, splitKeys } from './keybindings';
import { AnalyticsScreen } from './screens/AnalyticsScreen';
import { AuditScreen } from './screens/AuditScreen';
import { DiffView } from './screens/DiffView';
import { HelpScreen } from './screens/HelpScreen';
import { NewSessionForm } from './screens/NewSessionForm';
import { PoliciesScreen } from './screens/PoliciesScreen';
import { SearchScreen } from './screens/SearchScreen';
import { SessionsScreen } from './screens/SessionsScreen';
import { TranscriptView } from './screens/TranscriptView';
import type { AppState } from './state';
import type { Store } from './store';
import { ThemeProvider, type Theme } from './theme';

/** Ages in the list ("12s", "5m") move on by themselves: a redraw every few seconds, not a request to the daemon. */
const CLOCK_MS = 5000;

export interface AppProps {
  store: Store;
  /** Carries out commands; absent in tests that only draw fixed state. */
  controller?: Pick<Controller, 'run' | 'edit'>;
  theme: Theme;
  /** Fixed "now" for tests, so that ages do not depend on when they run. */
  now?: number;
}

/** The whole dashboard: tab bar, the current screen (or an overlay that replaces it), notices and the status line. */
export function App({ store, controller, theme, now: fixedNow }: AppProps): React.JSX.Element {
  const state = useSyncExternalStore(store.subscribe, store.getState);
  const now = useClock(fixedNow);
  useTerminalSize(store);
  useInput((input, key) => {
    if (!controller) return;
    for (const press of splitKeys(store.getState(), input, key)) {
      const routed = routeKey(store.getState(), press.input, press.key);
      if (!routed) continue;
      if ('command' in routed) controller.run(routed.command);
      else controller.edit(routed.edit);
    }
  });
  // One line is left free below: Ink redraws a frame as tall as the terminal from scratch, which flickers.
  const height = Math.max(6, state.size.rows - 1);
  const bodyHeight = height - 3;
  return (
    <ThemeProvider theme={theme}>
      <Box flexDirection="column" width={state.size.columns} height={height}>
        <TabBar screen={state.screen} connection={state.connection} width={state.size.columns} />
        <Box height={bodyHeight} flexDirection="column" overflow="hidden">
          <Body state={state} height={bodyHeight} now={now} />
        </Box>
        <Bottom state={state} />
      </Box>
    </ThemeProvider>
  );
}

function Body({ state, height, now }: { state: AppState; height: number; now: number }): React.JSX.Element {
  switch (state.overlay?.kind) {
    case 'help':
      return <HelpScreen state={state} height={height} />;
    case 'transcript':
      return <TranscriptView state={state} height={height} now={now} />;
    case 'form':
      return <NewSessionForm state={state} height={height} />;
    default:
      break;
  }
  if (state.review) return <DiffView state={state} height={height} now={now} />;
  switch (state.screen) {
    case 'sessions':
      return <SessionsScreen state={state} height={height} now={now} />;
    case 'policies':
      return <PoliciesScreen state={state} height={height} />;
    case 'audit':
      return <AuditScreen state={state} height={height} now={now} />;
    case 'analytics':
      return <AnalyticsScreen state={state} height={height} />;
    case 'search':
      return <SearchScreen state={state} height={height} now={now} />;
  }
}

function useClock(fixed: number | undefined): number {
  const [now, setNow] = useState(() => fixed ?? Date.now());
  useEffect(() => {
    if (fixed !== undefined) return;
    const timer = setInterval(() => setNow(Date.now()), CLOCK_MS);
    return () => clearInterval(timer);
  }, [fixed]);
  return fixed ?? now;
}

/** Follows the terminal's size into the state, so that every screen lays out for 80×24 and whatever it becomes. */
function useTerminalSize(store: Store): void {
  const { stdout } = useStdout();
  useEffect(() => {
    const update = () => {
      const columns = stdout.columns || 80;
      const rows = stdout.rows || 24;
      const { size } = store.getState();
      if (size.columns !== columns || size.rows !== rows) store.dispatch({ type: 'resize', columns, rows });
    };
    update();
    stdout.on('resize', update);
    return () => {
      stdout.off('resize', update);
    };
  }, [stdout, store]);
}
