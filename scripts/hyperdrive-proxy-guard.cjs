// Preloaded into wrangler dev (NODE_OPTIONS=--require ...) for wrangler 4.86 / miniflare 4.20260426:
// its local Hyperdrive proxy (a net.Server piping to net.connect) has no 'error' listeners, so a
// refused or reset database connection is an uncaught exception that ends `wrangler dev`.
// This gives both sockets of each proxied connection a listener that closes the pair instead.
// Fixed upstream (workers-sdk#13390, miniflare 4.20260430 / wrangler 4.87, which needs Node 22).
const net = require("node:net");
const createServer = net.createServer;
net.createServer = function (...args) {
  const i = args.findIndex((a) => typeof a === "function");
  if (i >= 0) {
    const onConnection = args[i];
    args[i] = function (client, ...rest) {
      client.on("error", () => client.destroy());
      const connect = net.connect;
      net.connect = function (...a) {
        const db = connect.apply(this, a);
        db.on("error", () => { db.destroy(); client.destroy(); });
        return db;
      };
      try { return onConnection.call(this, client, ...rest); } finally { net.connect = connect; }
    };
  }
  return createServer.apply(this, args);
};
