import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  // Pre-bundling would move the package away from its .wasm file (loaded by URL).
  optimizeDeps: { exclude: ["niochat"] },
  build: { target: "es2022" },
});
