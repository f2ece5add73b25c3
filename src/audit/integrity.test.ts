import { integritySuite } from './integrity.suite.js';

integritySuite('sqlite', 400);
