import { crashSuite } from './continuity-crash.suite.js';

crashSuite('postgres', 12);
