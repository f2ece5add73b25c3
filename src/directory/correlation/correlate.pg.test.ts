import { correlateSuite } from './correlate.suite.js';

correlateSuite('postgres');
