import { directoryApiSuite } from './directory-api.suite.js';

directoryApiSuite('postgres');
