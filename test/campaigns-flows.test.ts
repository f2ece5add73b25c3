import { campaignFlowsSuite } from './campaigns-flows.suite.js';

campaignFlowsSuite('sqlite');
