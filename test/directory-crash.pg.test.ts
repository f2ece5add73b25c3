import { directoryCrashSuite } from './directory-crash.suite.js';

directoryCrashSuite('postgres', 6);
