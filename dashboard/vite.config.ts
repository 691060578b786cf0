import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type ProxyOptions } from 'vite';
import { precompress } from './precompress.js';

/** The Wardline server; in production it serves dashboard/dist itself on the same origin. */
const SERVER = process.env.WARDLINE_SERVER_URL ?? 'http://localhost:8080';

/**
 * The dev server is another origin, which the server refuses on state-changing requests and
 * socket.io handshakes; the proxy presents them as coming from the server's own origin.
 */
const sameOriginAsServer: ProxyOptions['configure'] = (proxy) => {
  const origin = new URL(SERVER).origin;
  proxy.on('proxyReq', (request) => {
    if (request.getHeader('origin')) request.setHeader('origin', origin);
  });
  proxy.on('proxyReqWs', (request) => {
    if (request.getHeader('origin')) request.setHeader('origin', origin);
  });
};

const proxy = {
  '/api': { target: SERVER, changeOrigin: false, configure: sameOriginAsServer },
  '/socket.io': { target: SERVER, ws: true, changeOrigin: false, configure: sameOriginAsServer },
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react(), precompress()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Production builds carry no source maps: the server must not hand out the dashboard's source.
    sourcemap: false,
  },
  server: { proxy },
  preview: { proxy },
});
