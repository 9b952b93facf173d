import type { FastifyErrorsPlugin } from '../fastify/index.js';

type Plugin = (instance: object, options: unknown, done: (error?: Error) => void) => void;

// Nest installs its own error and not-found handlers on the instance when the app starts (they lead to
// the exception filter); Fastify refuses a second not-found handler on a prefix.
const nestOwns = new Set<PropertyKey>(['setErrorHandler', 'setNotFoundHandler']);

/**
 * faultline's Fastify plugin for an instance Nest runs: its JSON reader, its answers to malformed paths
 * and to requests node's parser refuses, with the error and not-found handlers left to Nest (which
 * hands both to the exception filter).
 */
export function nestFastifyPlugin(plugin: FastifyErrorsPlugin): FastifyErrorsPlugin {
  const register: Plugin = (instance, options, done) => {
    const view = new Proxy(instance, {
      get(target, key) {
        if (nestOwns.has(key)) return () => view;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    (plugin as unknown as Plugin)(view, options, done);
  };
  return Object.assign(register, {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: 'faultline',
    [Symbol.for('plugin-meta')]: { name: 'faultline', fastify: '5.x' },
    frameworkErrors: plugin.frameworkErrors,
  }) as unknown as FastifyErrorsPlugin;
}
