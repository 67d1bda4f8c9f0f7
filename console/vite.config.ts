import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

// Served by the gateway at /console/; `npm run dev` proxies the API to a running `make up`.
export default defineConfig({
  base: "/console/",
  plugins: [vue()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        // Charts load only with the pages that draw them; the UI kit is cached on its own.
        manualChunks(id: string) {
          if (id.includes("node_modules/echarts") || id.includes("node_modules/zrender")) return "charts";
          if (id.includes("node_modules/element-plus") || id.includes("node_modules/@element-plus")) return "ui";
          return undefined;
        },
      },
    },
  },
  server: {
    proxy: { "/v1": "http://127.0.0.1:8080" },
  },
});
