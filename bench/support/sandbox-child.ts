import { startSandbox } from '../../src/sandbox/server.js';

// Child side of sandbox-process.ts: start, tell the parent where, stop on SIGTERM.
const sandbox = await startSandbox({});
process.send?.({ urls: sandbox.urls, demo: sandbox.demo });
process.on('SIGTERM', () => {
  void sandbox.close().finally(() => process.exit(0));
});
process.on('disconnect', () => {
  void sandbox.close().finally(() => process.exit(0));
});
