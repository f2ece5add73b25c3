import { campaignFlowsSuite } from './campaigns-flows.suite.js';

campaignFlowsSuite('postgres');
