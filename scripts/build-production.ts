/**
 * Makes the runtime tree the Docker image runs: compiled JavaScript, the built dashboard and
 * production dependencies only. Development keeps running the TypeScript sources (the packages
 * export ./src/*.ts); only the runtime tree's package.json files point at ./dist/*.js, so no
 * condition or flag decides which one runs, and stale dist/ folders never shadow sources.
 *
 *   npm ci && npx tsx scripts/build-production.ts <runtime-dir>
 *
 * It rewrites package.json files and prunes node_modules in place, so it runs on a disposable copy
 * of the repository only: the Docker build stage, or test/src/production-tree.e2e.test.ts's temp dir.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

/** Workspaces compiled by tsc (tsconfig.build.json); their exports are rewritten to dist/. */
const COMPILED = ['protocol', 'broker', 'server', 'gateway', 'firmware-sim'] as const;

function fail(message: string): never {
  console.error(`build-production: ${message}`);
  process.exit(1);
}

function run(command: string, args: string[]): void {
  const line = `${command} ${args.join(' ')}`;
  console.error(`build-production: ${line}`);
  try {
    execFileSync(command, args, { cwd: root, stdio: 'inherit' });
  } catch {
    fail(`${line} failed`);
  }
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
const writeJson = (path: string, value: unknown) =>
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);

/** "./src/x.ts" -> "./dist/x.js"; anything else in a compiled package's exports is a mistake. */
function compiledTarget(workspace: string, source: string): string {
  const match = /^\.\/src\/(.+)\.ts$/.exec(source);
  if (!match) fail(`${workspace}/package.json exports "${source}", which is not a ./src/*.ts file`);
  const target = `./dist/${match[1]}.js`;
  if (!existsSync(join(root, workspace, target))) fail(`${workspace}: tsc did not emit ${target}`);
  return target;
}

function rewriteForRuntime(workspace: string): void {
  const path = join(root, workspace, 'package.json');
  const manifest = readJson(path);
  const exports = manifest.exports as Record<string, string>;
  manifest.exports = Object.fromEntries(
    Object.entries(exports).map(([subpath, source]) => [subpath, compiledTarget(workspace, source)]),
  );
  // `npm run hash-password -w @wardline/broker` keeps working in the image.
  const scripts = (manifest.scripts ?? {}) as Record<string, string>;
  manifest.scripts = Object.fromEntries(
    Object.entries(scripts).map(([name, line]) => [
      name,
      line
        // `node <flags> --import tsx src/x.ts` keeps its flags: `node <flags> dist/x.js`.
        .replace(/--import tsx src\/(\S+)\.ts\b/g, (_, file: string) =>
          compiledTarget(workspace, `./src/${file}.ts`).slice(2),
        )
        .replace(
          /\btsx src\/(\S+)\.ts\b/g,
          (_, file: string) => `node ${compiledTarget(workspace, `./src/${file}.ts`).slice(2)}`,
        ),
    ]),
  );
  writeJson(path, manifest);
}

/** Every package the lockfile marks dev-only must be gone after the prune. */
function devPackagesLeft(): string[] {
  const lock = readJson(join(root, 'package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([path, entry]) => entry.dev === true && path.includes('node_modules/'))
    .map(([path]) => path)
    .filter((path) => existsSync(join(root, path)));
}

const outArg = process.argv[2];
if (!outArg) fail('usage: tsx scripts/build-production.ts <runtime-dir>');
const out = isAbsolute(outArg) ? outArg : resolve(process.cwd(), outArg);
if (existsSync(join(root, '.git'))) {
  fail('this rewrites package.json files and prunes node_modules: run it on a copy (see Dockerfile)');
}
if (existsSync(out) && readdirSync(out).length > 0) fail(`${out} is not empty`);

const workspaces = (readJson(join(root, 'package.json')).workspaces as string[]).slice();
for (const workspace of COMPILED) rmSync(join(root, workspace, 'dist'), { recursive: true, force: true });
rmSync(join(root, 'dist'), { recursive: true, force: true });

run('npm', ['run', 'build', '-w', '@wardline/dashboard']);
run(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json']);
// One tsc program (the packages import each other's sources) emits dist/<workspace>/src/**;
// each workspace's share moves to <workspace>/dist, where its rewritten exports point.
for (const workspace of COMPILED)
  renameSync(join(root, 'dist', workspace, 'src'), join(root, workspace, 'dist'));
rmSync(join(root, 'dist'), { recursive: true });
for (const workspace of COMPILED) rewriteForRuntime(workspace);

run('npm', ['prune', '--omit=dev', '--no-audit', '--no-fund']);
const left = devPackagesLeft();
if (left.length > 0) fail(`npm prune left development packages behind: ${left.slice(0, 10).join(', ')}`);

// The runtime tree: manifests (npm and the workspace links need them), compiled code, the
// dashboard bundle and node_modules. No TypeScript source goes in, so nothing can run it.
mkdirSync(out, { recursive: true });
for (const file of ['package.json', 'package-lock.json', '.npmrc'])
  renameSync(join(root, file), join(out, file));
renameSync(join(root, 'node_modules'), join(out, 'node_modules'));
for (const workspace of workspaces) {
  mkdirSync(join(out, workspace));
  renameSync(join(root, workspace, 'package.json'), join(out, workspace, 'package.json'));
  for (const folder of ['node_modules', 'dist']) {
    const from = join(root, workspace, folder);
    if (existsSync(from)) renameSync(from, join(out, workspace, folder));
  }
}
console.error(`build-production: runtime tree ready in ${out}`);
