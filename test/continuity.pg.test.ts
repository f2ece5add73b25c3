import { continuitySuite } from './continuity.suite.js';

continuitySuite('postgres');
