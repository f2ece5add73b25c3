// Fastify's default export is a callable CommonJS function; under NodeNext this import form
// types it correctly.
import fastifyModule from 'fastify';

export const Fastify = fastifyModule as unknown as typeof fastifyModule.default;
