import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin } from 'vite';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** Text the browser downloads; images and fonts in this app are already compressed or absent. */
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|txt|webmanifest)$/;

/**
 * Writes `name.br` (brotli, best) and `name.gz` (gzip, best) beside every text file of the build,
 * for the server to hand out as they are (@fastify/static's `preCompressed`): compressing once at
 * build time costs the server no CPU per request, which matters while it is busy ingesting
 * readings, and allows the slowest, smallest settings. A copy is written only when smaller.
 */
export function precompress(): Plugin {
  return {
    name: 'wardline-precompress',
    apply: 'build',
    async writeBundle(options, bundle) {
      const dir = options.dir!;
      await Promise.all(
        Object.values(bundle)
          .filter((file) => COMPRESSIBLE.test(file.fileName))
          .map(async (file) => {
            const source = Buffer.from(file.type === 'chunk' ? file.code : file.source);
            const [br, gzipped] = await Promise.all([
              brotli(source, {
                params: {
                  [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
                  [constants.BROTLI_PARAM_SIZE_HINT]: source.length,
                  [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
                },
              }),
              gz(source, { level: constants.Z_BEST_COMPRESSION }),
            ]);
            const path = join(dir, file.fileName);
            await Promise.all([
              br.length < source.length ? writeFile(`${path}.br`, br) : undefined,
              gzipped.length < source.length ? writeFile(`${path}.gz`, gzipped) : undefined,
            ]);
          }),
      );
    },
  };
}
