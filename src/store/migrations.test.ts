import { migrationsSuite } from './migrations.suite.js';

migrationsSuite('sqlite');
