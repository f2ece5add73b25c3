import { rotationSuite } from './rotation.suite.js';

rotationSuite('sqlite');
