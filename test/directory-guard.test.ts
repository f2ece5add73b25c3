import { directoryGuardSuite } from './directory-guard.suite.js';

directoryGuardSuite('sqlite');
