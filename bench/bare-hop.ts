// Shared by bench/scope-proxy.ts and bench/scope-proxy-hop.ts.
/**
 * A control: a bare Node.js forwarding hop with no checks at all (reads the request, forwards it
 * over a keep-alive pool, buffers the answer, sends it back): what any proxy process in front of
 * Prometheus costs on this machine, before the scope proxy does any work.
 */
export const BARE_HOP = `
const http = require('node:http');
const [upstream, port] = process.argv.slice(1).map(Number);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const up = http.request({ host: '127.0.0.1', port: upstream, method: req.method, path: req.url, agent,
      headers: { 'content-type': req.headers['content-type'] || 'application/x-www-form-urlencoded', 'content-length': body.length } }, (r) => {
      const out = [];
      r.on('data', (c) => out.push(c));
      r.on('end', () => { const b = Buffer.concat(out); res.writeHead(r.statusCode, { 'content-type': r.headers['content-type'], 'content-length': b.length }); res.end(b); });
    });
    up.on('error', () => { res.statusCode = 502; res.end(); });
    up.end(body);
  });
}).listen(port, '127.0.0.1');
`;
