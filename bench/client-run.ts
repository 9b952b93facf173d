/** The client benchmarks alone: `node --expose-gc --import tsx --conditions faultline-source bench/client-run.ts`. */
import { benchClient } from './client.bench.js';

await benchClient();
