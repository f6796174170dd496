/**
 * The dashboard's build: ui/ in, dist/ui out (served by `kiln serve`, see
 * src/server/dashboard). `npm run dev:ui` proxies the API to a running `kiln serve`.
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // No inline modulepreload polyfill: the page's CSP allows scripts from 'self' only.
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:7300',
      '/healthz': 'http://127.0.0.1:7300',
    },
  },
});
