import { auditApiSuite } from './audit-api.suite.js';

auditApiSuite('postgres');
