import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { Guard } from '../../guards/index.js';
import { guard as expressGuard } from '../express/index.js';
import { guard as fastifyGuard } from '../fastify/index.js';
import { isFastifyReply } from './platform.js';

interface NodeResponse {
  readonly writableEnded: boolean;
  once(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/**
 * Runs faultline's guards, as the Express middleware or the Fastify hook (both `(req, res, next)`), as a
 * promise: true when admitted, a rejection with the denial, false when a guard answered itself (an
 * idempotent replay) and the response is sent.
 */
function settled<Req, Res>(
  run: (req: Req, res: Res, next: (error?: unknown) => void) => void,
  req: Req,
  res: Res,
  raw: NodeResponse,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const sent = () => settle(false);
    const settle = (admitted: boolean, error?: unknown) => {
      raw.off('finish', sent);
      raw.off('close', sent);
      if (error === undefined) resolve(admitted);
      else reject(error);
    };
    raw.once('finish', sent);
    raw.once('close', sent);
    try {
      run(req, res, (error?: unknown) =>
        error === undefined || error === null ? settle(true) : settle(false, error),
      );
    } catch (error) {
      settle(false, error);
    }
  });
}

/**
 * faultline guards as one Nest guard, for `@UseGuards(...)` on a controller or a route, or
 * `app.useGlobalGuards(...)`, on Express and Fastify alike. The guards see the request (its route
 * parameters included), the admitted response gets their headers (`RateLimit`, `RateLimit-Policy`), a
 * denial is thrown for the exception filter to answer (429 with `Retry-After`, 401, …), and an
 * idempotent replay is sent as stored. Contexts other than HTTP pass.
 * @example
 * \@UseGuards(FaultlineGuard(rateLimit({ key: byIp, limit: 10, period: '1m' })))
 * \@Post('orders')
 * create(@Body() order: OrderDto) {}
 */
export function FaultlineGuard(...guards: Guard[]): CanActivate {
  const express = expressGuard(...guards);
  const fastify = fastifyGuard(...guards);
  return {
    canActivate(context: ExecutionContext): boolean | Promise<boolean> {
      if (context.getType() !== 'http') return true;
      const http = context.switchToHttp();
      const request = http.getRequest<unknown>();
      const response = http.getResponse<{ sent?: boolean }>();
      if (isFastifyReply(response)) {
        const reply = response as unknown as { raw: NodeResponse };
        return settled(fastify, request as never, response as never, reply.raw);
      }
      return settled(express, request as never, response as never, response as unknown as NodeResponse);
    },
  };
}
