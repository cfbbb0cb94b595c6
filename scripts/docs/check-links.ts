/**
 * Broken-link check for a built static site: every local href/src in every HTML page must name a
 * file that exists, and every #fragment pointing at an HTML page must name an id (or name) on it.
 * External links (http:, https:, mailto:, data:, javascript:) are not followed.
 */
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** One link that does not resolve. */
export type BrokenLink = { readonly page: string; readonly href: string; readonly reason: string };

const EXTERNAL = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;
const ATTR = /\s(?:href|src)\s*=\s*"([^"]*)"/g;
const ID = /\s(?:id|name)\s*=\s*"([^"]*)"/g;

function htmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return htmlFiles(path);
    return path.endsWith('.html') ? [path] : [];
  });
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/&amp;/g, '&'));
  } catch {
    return s;
  }
}

/** Every broken local link (and fragment) in the HTML pages under `siteDir`. */
export function findBrokenLinks(siteDir: string): BrokenLink[] {
  const root = resolve(siteDir);
  const pages = htmlFiles(root);
  const idCache = new Map<string, Set<string>>();
  const idsOf = (file: string): Set<string> => {
    let ids = idCache.get(file);
    if (!ids) {
      ids = new Set([...readFileSync(file, 'utf8').matchAll(ID)].map((m) => decode(m[1])));
      idCache.set(file, ids);
    }
    return ids;
  };
  const broken: BrokenLink[] = [];
  for (const page of pages) {
    const html = readFileSync(page, 'utf8');
    for (const [, raw] of html.matchAll(ATTR)) {
      const href = raw.trim();
      if (href === '' || href === '#' || EXTERNAL.test(href)) continue;
      const [pathPart, fragment] = href.split('#', 2) as [string, string | undefined];
      const pathOnly = decode(pathPart.split('?')[0]);
      const target = pathOnly === '' ? page : pathOnly.startsWith('/') ? join(root, pathOnly) : resolve(dirname(page), pathOnly);
      const rel = relative(root, page);
      if (!target.startsWith(root)) broken.push({ page: rel, href, reason: 'points outside the site' });
      else if (!existsSync(target)) broken.push({ page: rel, href, reason: 'no such file' });
      else if (fragment && target.endsWith('.html') && !idsOf(target).has(decode(fragment))) {
        broken.push({ page: rel, href, reason: `no element with id '${decode(fragment)}'` });
      }
    }
  }
  return broken;
}
