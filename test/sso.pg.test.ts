import { ssoSuite } from './sso.suite.js';

ssoSuite('postgres');
