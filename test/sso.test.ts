import { ssoSuite } from './sso.suite.js';

ssoSuite('sqlite');
