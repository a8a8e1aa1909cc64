/** @type {import('next').NextConfig} */
const nextConfig = {
  // PGlite ships WASM and data files that must be loaded from node_modules, not bundled;
  // ioredis is loaded as-is too (the send API can create a Redis layer from REDIS_URL).
  serverExternalPackages: ["@electric-sql/pglite", "ioredis"],
  // Lets `npm run dev` serve HMR to 127.0.0.1 as well as localhost.
  allowedDevOrigins: ["127.0.0.1", "localhost"],
  poweredByHeader: false,
};

export default nextConfig;
