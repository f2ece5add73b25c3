import { keyRotationCrashSuite } from './key-rotation-crash.suite.js';

keyRotationCrashSuite('sqlite', 12);
