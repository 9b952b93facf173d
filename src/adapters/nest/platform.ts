/**
 * True for the response object Nest hands out on `@nestjs/platform-fastify` (a Fastify reply, with the
 * node response as `raw`); Express's response is the node response itself.
 */
export function isFastifyReply(response: unknown): boolean {
  if (typeof response !== 'object' || response === null) return false;
  const reply = response as Record<string, unknown>;
  return typeof reply.raw === 'object' && reply.raw !== null && typeof reply.code === 'function';
}
