import { campaignsSuite } from './campaigns.suite.js';

campaignsSuite('sqlite');
