import { defineErrors } from 'faultline';
import { renderOpenApi } from 'faultline/docs';
import { describe, expect, it } from 'vitest';

// Attack: `renderOpenApi(catalog, { into })` takes a document the user wrote, with paths and operation ids
// of any spelling. Each operation must be documented with its own codes, whatever its path or id is.
const catalog = defineErrors({
  ORDER_GONE: { status: 404, message: 'Order not found' },
  INVOICE_GONE: { status: 404, message: 'Invoice not found' },
});

/** The codes whose examples the response an operation's `status` refers to holds. */
function codesOf(document: Record<string, any>, path: string, status: string): string[] {
  const ref: string = document.paths[path].get.responses[status].$ref;
  const response = document.components.responses[ref.slice('#/components/responses/'.length)];
  return Object.keys(response.content['application/problem+json'].examples);
}

/** A fresh `responses` object; `shared` below is one object several operations hold, as code builds documents. */
const ok = () => ({ '200': { description: 'ok' } });
const shared = ok();

describe('renderOpenApi into an existing document', () => {
  it('documents two operations whose paths spell alike with their own codes', () => {
    const merged = renderOpenApi(catalog, {
      into: {
        openapi: '3.1.0',
        info: { title: 'shop', version: '1' },
        paths: {
          '/orders/{id}': { get: { responses: ok(), 'x-error-codes': ['ORDER_GONE'] } },
          '/orders_{id}': { get: { responses: ok(), 'x-error-codes': ['INVOICE_GONE'] } },
        },
      },
    });
    expect(codesOf(merged, '/orders/{id}', '404')).toEqual(['ORDER_GONE']);
    expect(codesOf(merged, '/orders_{id}', '404')).toEqual(['INVOICE_GONE']);
  });

  it('documents operations holding one shared responses object each with its own codes', () => {
    const into = {
      paths: {
        '/orders': { get: { operationId: 'getOrder', responses: shared, 'x-error-codes': ['ORDER_GONE'] } },
        '/invoices': {
          get: { operationId: 'getInvoice', responses: shared, 'x-error-codes': ['INVOICE_GONE'] },
        },
      },
    };
    const merged = renderOpenApi(catalog, { into });
    expect(codesOf(merged, '/orders', '404')).toEqual(['ORDER_GONE']);
    expect(codesOf(merged, '/invoices', '404')).toEqual(['INVOICE_GONE']);
    expect(shared).toEqual(ok());
  });

  it("keeps a response of the user's own components that a generated name would take", () => {
    const mine = { description: 'my own 404' };
    const merged = renderOpenApi(catalog, {
      into: {
        paths: { '/orders': { get: { operationId: 'listOrders', responses: ok() } } },
        components: { responses: { Error404_listOrders: mine } },
      },
    });
    expect(merged.components.responses.Error404_listOrders).toEqual(mine);
    expect(codesOf(merged, '/orders', '404')).toEqual(['NOT_FOUND']);
  });

  it("reads an operation's x-error-codes when its id names a property of every object", () => {
    const merged = renderOpenApi(catalog, {
      into: {
        paths: {
          '/a': { get: { operationId: 'toString', responses: ok(), 'x-error-codes': ['ORDER_GONE'] } },
          '/b': { get: { operationId: 'constructor', responses: ok(), 'x-error-codes': ['INVOICE_GONE'] } },
        },
      },
      operations: { listOrders: ['ORDER_GONE'] },
    });
    expect(Object.keys(merged.paths['/a'].get.responses)).toEqual(['200', '404']);
    expect(codesOf(merged, '/a', '404')).toEqual(['ORDER_GONE']);
    expect(codesOf(merged, '/b', '404')).toEqual(['INVOICE_GONE']);
  });

  it('takes an operation whose operationId is not a string as one without an id', () => {
    const merged = renderOpenApi(catalog, {
      into: {
        paths: { '/orders': { get: { operationId: 7, responses: ok(), 'x-error-codes': ['ORDER_GONE'] } } },
      },
    });
    expect(codesOf(merged, '/orders', '404')).toEqual(['ORDER_GONE']);
  });
});
