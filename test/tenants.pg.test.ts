import { tenantsSuite } from './tenants.suite.js';

tenantsSuite('postgres');
