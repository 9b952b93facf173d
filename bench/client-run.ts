/** The client benchmarks alone: `node --import tsx --conditions faultline-source bench/client-run.ts`. */
import { benchClient } from './client.bench.js';

await benchClient();
