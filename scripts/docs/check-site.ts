/**
 * `pnpm run docs` second half: fails (exit 1) when the built site under the given folder (default
 * docs-site) has a broken local link or fragment, listing each one.
 */
import { findBrokenLinks } from './check-links.js';

const dir = process.argv[2] ?? 'docs-site';
const broken = findBrokenLinks(dir);
for (const b of broken) console.error(`broken link in ${b.page}: ${b.href} (${b.reason})`);
if (broken.length > 0) process.exit(1);
console.log(`docs: ${dir}/index.html built, no broken links`);
