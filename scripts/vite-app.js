// vite-app.js — builds examples/vite-app as a new user would: the packed
// tarball installed into a fresh project, then `vite build`. Used by the
// Chromium test (which fails on any warning) and by the benchmark (whose
// browser size figure is this build's output). Returns what the build
// printed as warnings and the gzipped sizes of what it emitted.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const example = join(root, 'examples/vite-app');

/** The package as npm would publish it, packed into dir; returns the tarball's path. */
export function packTarball(dir) {
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: root, encoding: 'utf8' });
  return join(dir, out.trim().split('\n').pop());
}

/**
 * Installs the tarball into `dir`/app with the example's files and builds
 * it with Vite (the project's own copy, the version the example asks for).
 * @returns {{ dist: string, warnings: string[], files: {name: string, bytes: number, gzip: number}[], gzip: number }}
 */
export async function buildViteApp(dir, tarball = packTarball(dir)) {
  const app = join(dir, 'app');
  mkdirSync(app, { recursive: true });
  for (const f of ['index.html', 'main.js']) copyFileSync(join(example, f), join(app, f));
  // The example's package.json without vite, which comes from this
  // project's node_modules: the build needs no registry.
  const manifest = JSON.parse(readFileSync(join(example, 'package.json'), 'utf8'));
  delete manifest.devDependencies;
  manifest.dependencies = {};
  writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: app, stdio: 'pipe' });
  const installed = readdirSync(join(app, 'node_modules')).filter((n) => !n.startsWith('.'));

  const { build, createLogger } = await import('vite');
  const warnings = [];
  const logger = createLogger('warn');
  logger.warn = (msg) => warnings.push(msg);
  logger.warnOnce = (msg) => warnings.push(msg);
  logger.error = (msg) => warnings.push(msg);
  await build({
    root: app,
    configFile: false,
    logLevel: 'warn',
    customLogger: logger,
    build: {
      outDir: join(app, 'dist'),
      emptyOutDir: true,
      rollupOptions: { onwarn: (w) => warnings.push(String(w.message ?? w)) },
    },
  });
  const assets = join(app, 'dist/assets');
  const files = readdirSync(assets).map((name) => {
    const bytes = readFileSync(join(assets, name));
    return { name, bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  return { dist: join(app, 'dist'), installed, warnings, files, gzip: files.reduce((n, f) => n + f.gzip, 0) };
}
