// A node:http app under the OpenTelemetry SDK with in-memory exporters, run in its own process by
// observability-otel.test.ts: the test runner starts workers with `--conditions module`, under which
// node resolves @opentelemetry/api 1.9 to its ESM build, whose extension-less imports node cannot load.
import { createServer } from 'node:http';
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { defineErrors } from 'faultline';
import { createNodeErrors } from 'faultline/node';

const catalog = defineErrors({ ORDER_NOT_FOUND: { status: 404, message: 'No such order' } });

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({
  exporter: metricExporter,
  exportIntervalMillis: 3_600_000,
});
api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
api.trace.setGlobalTracerProvider(
  new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }),
);
api.metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

// A second meter provider, given to one layer explicitly as `otel.meter`.
const ownExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const ownReader = new PeriodicExportingMetricReader({
  exporter: ownExporter,
  exportIntervalMillis: 3_600_000,
});
const ownMeter = new MeterProvider({ readers: [ownReader] }).getMeter('app');

const route = (req: { url?: string }) => {
  if (req.url?.endsWith('/missing')) throw catalog.create('ORDER_NOT_FOUND');
  throw new Error('disk on fire');
};
const withApi = createNodeErrors({ catalog, logger: false, otel: { api } })(route);
const withMeter = createNodeErrors({ catalog, logger: false, otel: { api, meter: ownMeter } })(route);
const without = createNodeErrors({ catalog, logger: false })(route);

async function points(which: InMemoryMetricExporter, flush: PeriodicExportingMetricReader) {
  await flush.forceFlush();
  const metric = which
    .getMetrics()
    .at(-1)
    ?.scopeMetrics.flatMap((scope) => scope.metrics)
    .find((m) => m.descriptor.name === 'faultline.errors');
  return (metric?.dataPoints ?? []).map((point) => ({ attributes: point.attributes, value: point.value }));
}

const tracer = api.trace.getTracer('app');
const server = createServer((req, res) => {
  const json = (value: unknown) =>
    res.setHeader('content-type', 'application/json').end(JSON.stringify(value));
  if (req.url === '/__spans') {
    json(
      spans.getFinishedSpans().map((span) => ({
        name: span.name,
        status: span.status,
        attributes: span.attributes,
        events: span.events.map((event) => ({ name: event.name, attributes: event.attributes })),
      })),
    );
    spans.reset();
    return;
  }
  if (req.url === '/__metrics') return void points(metricExporter, reader).then(json);
  if (req.url === '/__own-metrics') return void points(ownExporter, ownReader).then(json);
  const handle = req.url?.startsWith('/meter/')
    ? withMeter
    : req.url?.startsWith('/none/')
      ? without
      : withApi;
  // What the HTTP server instrumentation does: the request runs inside an active server span.
  tracer.startActiveSpan(`GET ${req.url}`, { kind: api.SpanKind.SERVER }, (span) => {
    res.on('finish', () => span.end());
    void handle(req, res);
  });
});
const port = Number(process.env.PORT);
server.listen(port, '127.0.0.1', () => console.log(`http://127.0.0.1:${port}`));
