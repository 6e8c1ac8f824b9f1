/**
 * The page's own files. Only the names listed here are served, read once at start, so no request path
 * ever reaches the file system (no directory traversal by construction).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export interface StaticFile {
  body: Buffer;
  type: string;
}

const STATIC_DIR = new URL('./static/', import.meta.url);

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

/** Reads the page's files; `fill` may adjust the HTML (e.g. the upload limit the page shows). */
export async function loadStaticFiles(fill: (html: string) => string): Promise<Map<string, StaticFile>> {
  const served = new Map<string, StaticFile>();
  for (const [urlPath, { file, type }] of Object.entries(FILES)) {
    let body = await readFile(fileURLToPath(new URL(file, STATIC_DIR)));
    if (file === 'index.html') body = Buffer.from(fill(body.toString('utf8')));
    served.set(urlPath, { body, type });
  }
  return served;
}
