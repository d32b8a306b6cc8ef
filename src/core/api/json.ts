/**
 * The deepest nesting of arrays and objects a request body may have. Real bodies nest a few levels (a hook's tool
 * input, a policy's rules); thousands of levels only exhaust the stack of whatever walks the value next (validation,
 * redaction, serialisation), so they are refused before parsing, with this number in the message.
 */
export const MAX_JSON_DEPTH = 100;

/**
 * Whether JSON text nests arrays and objects deeper than `limit`: one pass over the characters, brackets inside
 * strings ignored, no parsing (so no recursion whatever the input).
 */
export function jsonNestsDeeperThan(text: string, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 92 /* \ */) i++;
      else if (code === 34 /* " */) inString = false;
    } else if (code === 34) inString = true;
    else if (code === 91 /* [ */ || code === 123 /* { */) {
      if (++depth > limit) return true;
    } else if (code === 93 /* ] */ || code === 125 /* } */) depth--;
  }
  return false;
}
