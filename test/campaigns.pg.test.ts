import { campaignsSuite } from './campaigns.suite.js';

campaignsSuite('postgres');
