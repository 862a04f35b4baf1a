// Preloaded into the Node process that runs Miniflare's local Hyperdrive proxy (a net.Server piping
// workerd's socket to Postgres over net.connect): `wrangler dev` (NODE_OPTIONS=--require ...) for the
// tests and bench/serve.mjs for the bench. Two mends to that proxy, for wrangler 4.86 / miniflare
// 4.20260426:
// - It has no 'error' listeners, so a refused or reset database connection is an uncaught exception
//   that ends `wrangler dev`. Each socket of a proxied connection gets a listener that closes the
//   pair instead. Fixed upstream (workers-sdk#13390, miniflare 4.20260430 / wrangler 4.87, which
//   needs Node 22).
// - Its sockets keep Nagle's algorithm on: the driver writes a statement's Parse and its
//   Bind/Execute/Sync apart, the second waits for Postgres to acknowledge the first, and Postgres
//   delays that acknowledgement (it owes no reply before Sync), so every statement waited about
//   40 ms (seen in Postgres's statement log, between each parse and its bind). No delay on this
//   process's sockets, as the driver asks of its own (pg's setNoDelay) and as Postgres and workerd do.
const net = require("node:net");
const connect = net.connect;
net.connect = net.createConnection = function (...args) {
  const socket = connect.apply(this, args);
  socket.setNoDelay(true);
  return socket;
};
const createServer = net.createServer;
net.createServer = function (...args) {
  const at = args.findIndex((arg) => typeof arg === "function");
  if (at >= 0) {
    const onConnection = args[at];
    args[at] = function (client, ...rest) {
      client.setNoDelay(true);
      client.on("error", () => client.destroy());
      const proxied = net.connect;
      net.connect = function (...a) {
        const db = proxied.apply(this, a);
        db.on("error", () => {
          db.destroy();
          client.destroy();
        });
        return db;
      };
      try {
        return onConnection.call(this, client, ...rest);
      } finally {
        net.connect = proxied;
      }
    };
  }
  return createServer.apply(this, args);
};
