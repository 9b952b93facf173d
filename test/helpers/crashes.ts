import { afterAll, beforeAll } from 'vitest';

/**
 * Collects, for the suite that calls it, every uncaught exception and unhandled rejection of the process:
 * a case asserts the list is empty (an attack must never crash the server it attacks).
 */
export function watchCrashes(): unknown[] {
  const crashes: unknown[] = [];
  const onCrash = (error: unknown) => crashes.push(error);
  beforeAll(() => {
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
  });
  afterAll(() => {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  });
  return crashes;
}
