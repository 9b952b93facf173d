import { createServer } from 'node:http';

// The server of the client benchmark: one success route and one error route, fixed bodies.
const ok = Buffer.from('{"id":"s-1","state":"answered","commands":[]}');
const error = Buffer.from(
  '{"type":"urn:problem-type:SESSION_NOT_FOUND","title":"Not Found","status":404,"detail":"Session not found","code":"SESSION_NOT_FOUND","correlation_id":"req-1","details":{"sessionId":"s-1"}}',
);
const port = Number(process.argv[2] ?? 0);
createServer((req, res) => {
  const failed = req.url === '/error';
  const body = failed ? error : ok;
  res.writeHead(failed ? 404 : 200, {
    'content-type': failed ? 'application/problem+json' : 'application/json',
    'content-length': body.length,
  });
  res.end(body);
}).listen(port, '127.0.0.1', () => console.log('ready'));
process.on('SIGINT', () => process.exit(0));
