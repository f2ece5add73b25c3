export * from './catalogue.js';
export * from './app-error.js';
export * from './render.js';
export * from './policy.js';
export * from './scrub.js';
