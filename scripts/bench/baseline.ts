/**
 * The yardsticks of the relay benchmark: a server that only reads the relay's
 * JSON body and answers 202, written once on express 5 and once on bare
 * `node:http`. What the relay does beyond this (origin, consent, checks,
 * scrub, outbox) is what its ratio to them measures.
 *
 *   node -r ts-node/register/transpile-only scripts/bench/baseline.ts --kind express|raw --port N
 */
import express from 'express';
import http from 'node:http';

const ACCEPTED = JSON.stringify({ accepted: 1, duplicates: 0, skipped: 0 });

function rawHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end();
      return;
    }
    res.writeHead(202, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(ACCEPTED) });
    res.end(ACCEPTED);
  });
}

function expressApp(): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // The relay takes text/plain too (a beacon cannot set application/json without a preflight).
  app.post('/tiktok/relay', express.json({ type: ['application/json', 'text/plain'], limit: '64kb' }), (_req, res) => {
    res.status(202).json({ accepted: 1, duplicates: 0, skipped: 0 });
  });
  return app;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const kind = arg('kind');
const port = Number(arg('port'));
if ((kind !== 'express' && kind !== 'raw') || !Number.isInteger(port)) {
  console.error('usage: baseline.ts --kind express|raw --port N');
  process.exit(2);
}
const server = kind === 'raw' ? http.createServer(rawHandler) : http.createServer(expressApp());
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
