#!/bin/sh
# ESBUILD_BIN for worker-build (scripts/env.sh): npm's esbuild, as worker-build calls it, plus what
# the Postgres store's driver needs (src/store/postgres/pg.js imports npm `pg`). `pg` is CommonJS
# and requires Node's built-ins (net, tls, crypto, events, ...), which workerd provides under the
# `nodejs_compat` flag of wrangler.toml: `--platform=node` leaves them, like `node:*`, to the
# runtime; the `workerd` condition picks pg-cloudflare's socket (cloudflare:sockets) over Node's
# net; and the banner gives the ES module bundle a real `require` for those built-ins.
here=$(dirname "$0")
exec "$here/../node_modules/.bin/esbuild" "$@" \
  --platform=node --conditions=workerd,worker --external:node:* \
  "--banner:js=import{createRequire as __createRequire}from'node:module';const require=__createRequire('/');"
