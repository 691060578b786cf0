import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The Wardline server; in production it serves dashboard/dist itself on the same origin. */
const SERVER = process.env.WARDLINE_SERVER_URL ?? 'http://localhost:8080';

const proxy = {
  '/api': { target: SERVER, changeOrigin: false },
  '/socket.io': { target: SERVER, ws: true, changeOrigin: false },
};

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
  },
  server: { proxy },
  preview: { proxy },
});
