import { directorySyncSuite } from './directory-sync.suite.js';

directorySyncSuite('sqlite');
