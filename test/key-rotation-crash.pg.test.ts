import { keyRotationCrashSuite } from './key-rotation-crash.suite.js';

keyRotationCrashSuite('postgres', 6);
