import { connectionDeleteSuite } from './connection-delete.suite.js';

connectionDeleteSuite('sqlite');
