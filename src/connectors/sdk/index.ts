export * from './types.js';
export * from './http.js';
export * from './directory.js';
export * from './recovery.js';
export * from './paging.js';
