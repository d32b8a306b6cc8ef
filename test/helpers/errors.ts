import { isAppError } from '../../src/core/errors';

/** The code and message of the AppError `fn` throws; fails the test when it throws nothing or something else. */
export function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (isAppError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected an error');
}
