import { recoveryCrashSuite } from './recovery-crash.suite.js';

recoveryCrashSuite('sqlite', 16, 2);
