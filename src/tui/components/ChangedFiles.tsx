import { Box, Text } from 'ink';
import React from 'react';
import { clipStart, displayWidth, padEndTo, safe } from '../format';
import type { ReviewFile } from '../review';
import { useColour } from '../theme';

interface Props {
  files: ReviewFile[];
  selected: number;
  /** The working changes (status letters, staged in green) or a turn (counts only). */
  working: boolean;
  width: number;
  height: number;
}

/** "+12 −3", "bin", or nothing when the counts are not known (an untracked file). */
export function changeCounts(file: ReviewFile): string {
  if (file.binary) return 'bin';
  if (file.additions === null || file.deletions === null) return '';
  return `+${file.additions} −${file.deletions}`;
}

/**
 * The changed files, one row each: git's two status letters (the staged one green, the unstaged one red, as git
 * status colours them), the path with its start giving way so the file name stays, and the lines added and deleted.
 * The window of rows follows the selection; the selected row is inverse.
 */
export function ChangedFiles({ files, selected, working, width, height }: Props): React.JSX.Element {
  const colour = useColour();
  const rows = Math.max(1, height - 1);
  const first = Math.min(Math.max(0, selected - rows + 1), Math.max(0, files.length - rows));
  const visible = files.slice(first, first + rows);
  const staged = files.filter((file) => file.staged).length;
  const header = working ? `FILES ${files.length}${staged ? ` · ${staged} staged` : ''}` : `FILES ${files.length}`;
  const position = files.length > rows ? ` ${first + 1}-${first + visible.length}` : '';
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text dimColor wrap="truncate-end">
        {padEndTo(`${header}${position}`, width)}
      </Text>
      {visible.map((file, index) => {
        const isSelected = first + index === selected;
        const counts = changeCounts(file);
        const codeWidth = working ? 3 : 0;
        const countsWidth = counts ? displayWidth(counts) + 1 : 0;
        const pathWidth = Math.max(4, width - 2 - codeWidth - countsWidth);
        const name = file.from ? `${file.from} → ${file.path}` : file.path;
        const [x, y] = [file.code[0] ?? ' ', file.code[1] ?? ' '];
        return (
          <Text key={file.path} inverse={isSelected} bold={isSelected} wrap="truncate-end">
            {isSelected ? '›' : ' '}{' '}
            {working ? (
              <>
                <Text color={colour(file.untracked || file.conflicted ? 'red' : 'green')}>{x}</Text>
                <Text color={colour('red')}>{y}</Text>{' '}
              </>
            ) : null}
            {padEndTo(clipStart(safe(name), pathWidth), pathWidth)}
            {counts ? <Text dimColor={!isSelected}>{` ${counts}`}</Text> : null}
          </Text>
        );
      })}
      {files.length === 0 ? <Text dimColor wrap="truncate-end">{working ? 'nothing changed' : 'this turn changed no file'}</Text> : null}
    </Box>
  );
}
