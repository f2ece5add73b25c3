import { rotationSuite } from './rotation.suite.js';

rotationSuite('postgres');
