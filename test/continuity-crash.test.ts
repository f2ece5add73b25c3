import { crashSuite } from './continuity-crash.suite.js';

crashSuite('sqlite', 40);
