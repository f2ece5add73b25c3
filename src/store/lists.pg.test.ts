import { listsSuite } from './lists.suite.js';

listsSuite('postgres');
