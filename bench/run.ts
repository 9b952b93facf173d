import { cpus } from 'node:os';
import { benchClient } from './client.bench.js';
import { benchDocs } from './docs.bench.js';
import { benchFormats } from './format.bench.js';
import { benchHandleError } from './handle-error.bench.js';
import { benchWs } from './ws.bench.js';

console.log(
  `# faultline benchmarks — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} ×${cpus().length}`,
);
await benchFormats();
await benchHandleError();
await benchClient();
benchDocs();
await benchWs();
