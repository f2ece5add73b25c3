import { campaignSnapshotSuite } from './campaigns-snapshot.suite.js';

campaignSnapshotSuite('postgres');
