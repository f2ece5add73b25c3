import { rateBudgetSuite } from './rate-budget.suite.js';

rateBudgetSuite('sqlite');
