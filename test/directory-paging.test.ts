import { directoryPagingSuite } from './directory-paging.suite.js';

directoryPagingSuite('sqlite');
