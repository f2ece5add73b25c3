/** Private PostgreSQL schemas for tests; one implementation, shared with the benchmarks. */
export { pgUrlWithSchema, dropSchema } from '../../bench/support/pg-schema.js';
