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

/**
 * A second control, the floor: a Node.js hop with no HTTP library at all. Raw sockets on both
 * sides; the client's request bytes are forwarded as they came (no checks, no parsing beyond
 * finding where a request ends) over a keep-alive set of upstream sockets, and the answer's bytes
 * go back as they came once its framing (content-length or chunked) says it is complete. Nothing a
 * real proxy may do (it trusts every byte it is sent); it measures what the extra process, its two
 * loopback round trips and their wake-ups cost on this machine, which no proxy in its own process
 * can go below.
 */
export const FLOOR_HOP = `
const net = require('node:net');
const [upstream, port] = process.argv.slice(1).map(Number);
const idle = [];
// Where an HTTP/1.1 message that starts at 0 ends, or -1 while it is incomplete.
function messageEnd(buf) {
  const head = buf.indexOf('\\r\\n\\r\\n');
  if (head < 0) return -1;
  const text = buf.subarray(0, head).toString('latin1');
  const length = /\\r\\ncontent-length: *(\\d+)/i.exec(text);
  if (!/\\r\\ntransfer-encoding: *chunked/i.test(text)) {
    const end = head + 4 + (length ? Number(length[1]) : 0);
    return buf.length >= end ? end : -1;
  }
  let at = head + 4;
  for (;;) {
    const line = buf.indexOf('\\r\\n', at);
    if (line < 0) return -1;
    const size = parseInt(buf.subarray(at, line).toString('latin1'), 16);
    at = line + 2 + size + 2;
    if (at > buf.length) return -1;
    if (size === 0) return at;
  }
}
function reader(socket, onMessage) {
  let buf = Buffer.alloc(0);
  socket.on('data', (d) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    for (let end; buf.length && (end = messageEnd(buf)) > 0; ) {
      const message = buf.subarray(0, end);
      buf = buf.subarray(end);
      onMessage(message);
    }
  });
}
function upstreamSocket() {
  const kept = idle.pop();
  if (kept) return kept;
  const socket = net.connect(upstream, '127.0.0.1');
  socket.setNoDelay(true);
  socket.waiting = [];
  reader(socket, (answer) => {
    socket.waiting.shift()(answer);
    idle.push(socket);
  });
  socket.on('close', () => {
    const at = idle.indexOf(socket);
    if (at >= 0) idle.splice(at, 1);
  });
  return socket;
}
net.createServer((client) => {
  client.setNoDelay(true);
  reader(client, (request) => {
    if (request.subarray(0, 12).toString('latin1') === 'GET /-/ready') return client.write('HTTP/1.1 200 OK\\r\\ncontent-length: 2\\r\\n\\r\\nok');
    const socket = upstreamSocket();
    socket.waiting.push((answer) => client.write(answer));
    socket.write(Buffer.from(request));
  });
}).listen(port, '127.0.0.1');
`;
