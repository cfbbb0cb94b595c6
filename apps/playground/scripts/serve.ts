// A small static server for the built playground (dist/) — also serves the documentation site
// (docs-site/ at the repository root, built by `pnpm run docs`) under /docs/, which the page links to.
// Usage: tsx scripts/serve.ts [--port 5173] [--host 127.0.0.1]
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));
/** The built page. */
export const DIST = resolve(HERE, '../dist');
/** Where `pnpm run docs` writes the documentation site. */
export const DOCS_SITE = resolve(HERE, '../../../docs-site');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.wasm': 'application/wasm',
  '.bin': 'application/octet-stream', '.map': 'application/json', '.ico': 'image/x-icon', '.txt': 'text/plain; charset=utf-8',
};

/** The file under `root` a URL path names (index.html for folders), or null outside `root` or missing. */
function fileFor(root: string, urlPath: string): string | null {
  const path = normalize(join(root, decodeURIComponent(urlPath)));
  if (path !== root && !path.startsWith(root + '/')) return null;
  if (existsSync(path) && statSync(path).isDirectory()) return fileFor(root, join(urlPath, 'index.html'));
  return existsSync(path) ? path : null;
}

/** Starts the server; resolves with its URL once it listens. Port 0 picks a free port. */
export function startServer(options: { port?: number; host?: string; dist?: string; docs?: string } = {}): Promise<{ url: string; server: Server }> {
  const dist = options.dist ?? DIST;
  const docs = options.docs ?? DOCS_SITE;
  const server = createServer((request, response) => {
    const urlPath = new URL(request.url ?? '/', 'http://localhost').pathname;
    const inDocs = urlPath === '/docs' || urlPath.startsWith('/docs/');
    const file = inDocs ? fileFor(docs, urlPath.slice('/docs'.length) || '/') : fileFor(dist, urlPath);
    if (!file) {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      response.end(inDocs ? 'The documentation site is not built: run `npx -y pnpm@10 run docs` at the repository root.\n' : 'Not found\n');
      return;
    }
    response.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' });
    createReadStream(file).pipe(response);
  });
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      resolvePromise({ url: `http://${host}:${port}/`, server });
    });
  });
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!existsSync(join(DIST, 'index.html'))) {
    console.error(`No build in ${DIST}: run \`npx -y pnpm@10 playground\` (it builds first).`);
    process.exit(1);
  }
  const { url } = await startServer({ port: Number(flag('port') ?? process.env.PORT ?? 5173), host: flag('host') });
  console.log(`DEQ.ts playground: ${url}  (Ctrl+C stops the server)`);
  if (!existsSync(DOCS_SITE)) console.log('The page links to /docs/; build it with `npx -y pnpm@10 run docs`.');
}
