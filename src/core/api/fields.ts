import { z } from 'zod';

/** A yes/no query parameter: `1`/`true` and `0`/`false` (query values arrive as strings). */
export const queryFlag = z.preprocess((value) => (value === '1' || value === 'true' ? true : value === '0' || value === 'false' ? false : value), z.boolean());
