import { Box } from 'ink';
import React from 'react';
import { OutputPane } from '../components/OutputPane';
import { SessionList } from '../components/SessionList';
import { selectedSession, type AppState } from '../state';

/** The list on top (at most half the height, more when there is room), the selected session's output below. */
export function SessionsScreen({ state, height, now }: { state: AppState; height: number; now: number }): React.JSX.Element {
  const width = state.size.columns;
  const listHeight = Math.max(2, Math.min(state.sessions.length + 1, Math.floor(height / 2)));
  return (
    <Box flexDirection="column" height={height}>
      <SessionList sessions={state.sessions} selectedId={state.selectedId} usage={state.usage} width={width} height={listHeight} now={now} />
      <OutputPane session={selectedSession(state)} output={state.output} width={width} height={height - listHeight} />
    </Box>
  );
}
