import { Box, Text } from 'ink';
import React from 'react';
import { BarChart } from '../components/BarChart';
import { formatCost, formatCount, formatPercent, formatTokens, safe } from '../format';
import { RANGES, type AppState } from '../state';
import { useColour } from '../theme';

/** Overview numbers for the range, then tokens per day and per model as bars (← → change the range). */
export function AnalyticsScreen({ state, height }: { state: AppState; height: number }): React.JSX.Element {
  const colour = useColour();
  const { range, overview, days, models, loading, error } = state.analytics;
  const width = state.size.columns;
  // Rows left for bars after the range line, two overview lines, and a title and a blank line per chart; models get
  // what they need up to a third, days the rest.
  const barRows = Math.max(2, height - 7);
  const modelRows = Math.max(1, Math.min(models.length, Math.floor(barRows / 3)));
  const shownDays = days.slice(-Math.max(1, barRows - modelRows));
  const shownModels = [...models].sort((a, b) => b.totalTokens - a.totalTokens).slice(0, modelRows);
  return (
    <Box flexDirection="column" height={height}>
      <Text>
        {RANGES.map((id) => (
          <Text key={id} inverse={id === range} bold={id === range}>{` ${id} `}</Text>
        ))}
        <Text dimColor>{loading ? '  loading…' : '  ← → range'}</Text>
      </Text>
      {error ? <Text color={colour('red')}>{safe(error)}</Text> : null}
      {overview ? (
        <Box flexDirection="column">
          <Text wrap="truncate-end">
            {`sessions ${formatCount(overview.sessions)} (${formatCount(overview.activeSessions)} active) · messages ${formatCount(overview.messages)} · cost `}
            <Text bold color={colour('green')}>{formatCost(overview.totalCost)}</Text>
            {overview.unpricedTokens > 0 ? <Text dimColor>{` (+${formatTokens(overview.unpricedTokens)} unpriced)`}</Text> : null}
          </Text>
          <Text wrap="truncate-end">
            {`tokens ${formatTokens(overview.totalTokens)}: in ${formatTokens(overview.inputTokens)} · out ${formatTokens(overview.outputTokens)} · cache write ${formatTokens(overview.cacheCreationTokens)} · read ${formatTokens(overview.cacheReadTokens)} · hit ${formatPercent(overview.cacheHitRate)}`}
          </Text>
        </Box>
      ) : null}
      <Box marginTop={1}>
        <BarChart
          title={`tokens per day${days.length > shownDays.length ? ` (last ${shownDays.length} of ${days.length})` : ''}`}
          bars={shownDays.map((day) => ({ label: day.date, value: day.totalTokens, caption: `${formatTokens(day.totalTokens).padStart(6)} ${formatCost(day.totalCost).padStart(8)}` }))}
          width={width}
        />
      </Box>
      <Box marginTop={1}>
        <BarChart
          title="tokens per model"
          colour="magenta"
          bars={shownModels.map((model) => ({ label: safe(model.model), value: model.totalTokens, caption: `${formatTokens(model.totalTokens).padStart(6)} ${model.priced ? formatCost(model.totalCost).padStart(8) : 'unpriced'.padStart(8)}` }))}
          width={width}
        />
      </Box>
    </Box>
  );
}
