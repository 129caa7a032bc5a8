import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The console is served by the platform at `/`; in development `vite` proxies the API to a local
// `tsunagu start` (TSUNAGU_URL, default http://127.0.0.1:8080).
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    // scripts/bundle-sizes.mjs reads the manifest for the size of each route.
    manifest: true,
    // The lazy map chunk (MapLibre GL) is ~1.2 MB minified; every other chunk stays far below.
    chunkSizeWarningLimit: 1300,
  },
  server: {
    proxy: { '/api': process.env.TSUNAGU_URL ?? 'http://127.0.0.1:8080' },
  },
});
