import { directoryCrashSuite } from './directory-crash.suite.js';

directoryCrashSuite('sqlite', 12);
