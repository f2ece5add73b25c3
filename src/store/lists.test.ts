import { listsSuite } from './lists.suite.js';

listsSuite('sqlite');
