import { recoveryCrashSuite } from './recovery-crash.suite.js';

recoveryCrashSuite('postgres', 10, 1);
