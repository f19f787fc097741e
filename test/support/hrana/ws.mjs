// Hrana over WebSocket (hrana2 JSON, as @libsql/client's WebSocket transport offers only hrana2
// and hrana1), beside the HTTP pipeline on the same port: what a `ws://` or `wss://` URL speaks to sqld. It reuses the HTTP server's streams and statement
// execution, so both transports check and run SQL the same way; only the framing differs.
//
// As sqld does:
//   - the client offers its subprotocols (hrana2, hrana1); hrana2 is chosen;
//   - the first message is `hello` with the token (a bad one: `hello_error`, then the socket closes;
//     anything the client sent after it is ignored);
//   - requests carry a request_id and are answered in order with response_ok / response_error;
//   - streams live on the connection (open_stream / close_stream), each its own engine connection;
//     SQL texts stored with store_sql belong to the connection;
//   - a dropped connection closes its streams, rolling back an open transaction.
// With a delay, every answer is sent that long after its request arrived (a round trip on loopback).

import { WebSocketServer } from 'ws';

const SUBPROTOCOLS = ['hrana2', 'hrana1'];

/**
 * Serves Hrana over WebSocket on `server`'s upgrade requests. `hrana` is what the HTTP server
 * shares: { authorizedToken(token), openStream, closeStream, handleStreamRequest, StmtError,
 * ProtocolError, errorToWire, stats, delayMs, stalledFor, log }.
 */
export function serveHranaWs(server, hrana) {
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => SUBPROTOCOLS.find((p) => offered.has(p)) ?? false,
  });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => connection(ws, hrana));
  });
  return wss;
}

function connection(ws, hrana) {
  const conn = { streams: new Map(), sqls: new Map(), greeted: false, refused: false };
  hrana.stats.wsConnections = (hrana.stats.wsConnections ?? 0) + 1;
  const send = (msg) => {
    const text = JSON.stringify(msg);
    const out = () => ws.readyState === ws.OPEN && ws.send(text);
    const delay = hrana.delayMs + (hrana.stalledFor?.() ?? 0);
    if (delay > 0) setTimeout(out, delay);
    else out();
  };
  ws.on('message', (data, isBinary) => {
    if (isBinary) return ws.close(1003, 'only the JSON encoding is served');
    let msg;
    try {
      msg = JSON.parse(String(data));
    } catch {
      return ws.close(1002, 'Cannot deserialize client message from JSON');
    }
    if (conn.refused) return; // the hello_error is on its way; the socket closes after it
    if (msg.type === 'hello') {
      if (!hrana.authorizedToken(msg.jwt)) {
        conn.refused = true;
        send({ type: 'hello_error', error: { message: 'Authentication failed: The JWT is invalid', code: 'AUTH_JWT_INVALID' } });
        setTimeout(() => ws.close(1008, 'authentication failed'), hrana.delayMs + 50);
        return;
      }
      conn.greeted = true;
      return send({ type: 'hello_ok' });
    }
    if (msg.type !== 'request') return ws.close(1002, 'ClientMsg type not recognized');
    if (!conn.greeted) return ws.close(1002, 'The first message must be a hello');
    hrana.stats.wsRequests = (hrana.stats.wsRequests ?? 0) + 1;
    hrana.stats.requests++;
    hrana.log?.(`ws request ${msg.request?.type} ${msg.request?.stmt?.sql ?? ''}`);
    try {
      send({ type: 'response_ok', request_id: msg.request_id, response: handle(conn, msg.request, hrana) });
    } catch (err) {
      if (err instanceof hrana.StmtError) return send({ type: 'response_error', request_id: msg.request_id, error: hrana.errorToWire(err) });
      if (err instanceof hrana.ProtocolError) return ws.close(1002, err.message.slice(0, 120));
      hrana.log?.(`ws internal error: ${err?.stack ?? err}`);
      ws.close(1011, 'internal error');
    }
  });
  ws.on('close', () => {
    for (const stream of conn.streams.values()) hrana.closeStream(stream);
    conn.streams.clear();
  });
}

function streamOf(conn, r, hrana) {
  const stream = conn.streams.get(r.stream_id);
  if (!stream) throw new hrana.ProtocolError(`Stream ${r.stream_id} not found`);
  return stream;
}

function handle(conn, r, hrana) {
  switch (r?.type) {
    case 'open_stream': {
      if (conn.streams.has(r.stream_id)) throw new hrana.ProtocolError(`Stream ${r.stream_id} already exists`);
      const stream = hrana.openStream();
      stream.sqls = conn.sqls; // stored SQL texts belong to the connection over WebSocket
      conn.streams.set(r.stream_id, stream);
      return { type: 'open_stream' };
    }
    case 'close_stream': {
      const stream = conn.streams.get(r.stream_id);
      if (stream) hrana.closeStream(stream);
      conn.streams.delete(r.stream_id);
      return { type: 'close_stream' };
    }
    case 'store_sql':
    case 'close_sql':
      // The HTTP handler's own, on the connection's texts (they carry no stream over WebSocket).
      return hrana.handleStreamRequest({ sqls: conn.sqls }, r);
    case 'execute':
    case 'batch':
    case 'sequence':
    case 'describe':
    case 'get_autocommit':
      return hrana.handleStreamRequest(streamOf(conn, r, hrana), r);
    default:
      throw new hrana.ProtocolError('Request type not recognized');
  }
}
