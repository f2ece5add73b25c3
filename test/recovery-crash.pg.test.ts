import { recoveryCrashSuite } from './recovery-crash.suite.js';

recoveryCrashSuite('postgres', 8);
