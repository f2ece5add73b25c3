import { integritySuite } from './integrity.suite.js';

integritySuite('postgres', 200);
