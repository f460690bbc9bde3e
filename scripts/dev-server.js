// dev-server.js — static files for the demo and the browser tests, served
// through the hub's requestHandler: maps URL prefixes to folders, serves
// .wasm as application/wasm, refuses paths that escape their folder.
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';

const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.png': 'image/png',
  '.ts': 'text/plain; charset=utf-8', '.svg': 'image/svg+xml',
};

/**
 * A request handler serving files. mounts: URL prefix ("/", "/pkg/") ->
 * folder on disk; the longest prefix wins.
 * @param {Record<string, string>} mounts
 */
export function staticHandler(mounts, index = 'index.html') {
  const table = Object.entries(mounts)
    .map(([prefix, dir]) => [prefix.endsWith('/') ? prefix : prefix + '/', resolve(dir)])
    .sort((a, b) => b[0].length - a[0].length);
  return async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      const mount = table.find(([prefix]) => path.startsWith(prefix) || path + '/' === prefix);
      if (!mount) return send(res, 404, 'not found');
      const [prefix, dir] = mount;
      let file = normalize(join(dir, path.slice(prefix.length)));
      if (file !== dir && !file.startsWith(dir + sep)) return send(res, 403, 'forbidden');
      if ((await stat(file)).isDirectory()) file = join(file, index);
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      send(res, 404, 'not found');
    }
  };
}

function send(res, status, text) {
  res.writeHead(status, { 'content-type': 'text/plain' });
  res.end(text);
}
