import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderErrorsMarkdown } from './docs.js';
import { packageRoot } from '../runtime/paths.js';

const file = join(packageRoot(), 'docs', 'errors.md');
writeFileSync(file, renderErrorsMarkdown());
console.log(`wrote ${file}`);
