#!/usr/bin/env node
import { ConfigError, configWarnings, loadConfig, runMode } from './config';
import { createLogger } from './log';
import { deadLetterReport } from './outbox/deadLetterReport';
import { openOutbox, OutboxOpenError } from './outbox/openOutbox';
import type { EventQueue } from './outbox/eventQueue';
import { createSidecar, ListenError, replicaName } from './server';
import { openPgOutbox, outboxLocation } from './outbox/configuredOutbox';
import { hardStopAfterMs, stopOnSignals } from './shutdown';
import { formatFindings, runDoctor } from './doctor';
import { runBackfillCommand } from './backfill';

const USAGE = `usage: tiktok-sidecar <command>

  serve            run the relay, the dispatcher (and the Odoo poller when ODOO_URL is set)
  doctor           check the whole chain (configuration, outbox, Odoo, websites, TikTok tokens)
  dead-letters     list the most recent dead letters of the outbox
  requeue-dead     put every dead letter back in the queue (after fixing the cause)
  backfill         queue the Purchases of confirmed web orders never sent (module installed after
                   the sales, sidecar down past the lease) that TikTok still accepts; the poller
                   sends them. backfill --dry-run lists them without queueing

Configuration comes from environment variables; see the README.`;

async function serve(): Promise<void> {
  const cfg = loadConfig();
  const log = createLogger(cfg.LOG_LEVEL);
  // The SQLite file opens inside createSidecar; a PostgreSQL outbox is connected to first.
  const outbox = cfg.OUTBOX_URL ? await openPgOutbox(cfg, replicaName(cfg), log) : undefined;
  const sidecar = createSidecar(cfg, { log, outbox });
  for (const warning of configWarnings(cfg)) log.warn(`configuration: ${warning}`);
  const pixels = cfg.TIKTOK_PIXEL_ID;
  if (runMode(cfg) === 'relay-only') {
    log.info(
      { pixel: pixels ?? null, allowedOrigins: cfg.RELAY_ALLOWED_ORIGINS },
      pixels
        ? 'relay-only mode: no Odoo connection (ODOO_URL unset); one pixel from TIKTOK_PIXEL_ID'
        : 'relay-only mode: no Odoo connection and no pixel; set TIKTOK_PIXEL_ID and TIKTOK_ACCESS_TOKEN, or ODOO_URL, before events can be accepted',
    );
  }
  if (runMode(cfg) === 'odoo') {
    log.info({ odoo: cfg.ODOO_URL, db: cfg.ODOO_DB ?? null, transport: cfg.ODOO_TRANSPORT }, 'odoo mode: website settings and purchases come from Odoo');
  }
  const port = await sidecar.start();
  const metrics =
    cfg.OPS_PORT !== undefined
      ? `http://${cfg.OPS_HOST}:${sidecar.opsPort()}/metrics`
      : cfg.OPS_TOKEN
        ? '/metrics with the bearer token'
        : 'off (set OPS_TOKEN or OPS_PORT)';
  log.info({ host: cfg.RELAY_HOST, port, relay: cfg.RELAY_PATH, outbox: outboxLocation(cfg), metrics }, 'sidecar listening');

  stopOnSignals(() => sidecar.stop(), log, { hardStopAfterMs: hardStopAfterMs(cfg) });
}

async function withQueue<T>(fn: (queue: EventQueue) => Promise<T>): Promise<T> {
  const cfg = loadConfig();
  // Inspection only: a corrupt file is reported, never moved (`serve` does that).
  // A name of its own on a shared PostgreSQL outbox: a running replica holds its name there.
  const outbox = cfg.OUTBOX_URL ? await openPgOutbox(cfg, `${replicaName(cfg)}:cli:${process.pid}`) : openOutbox(cfg.OUTBOX_PATH);
  try {
    return await fn(outbox.events);
  } finally {
    await outbox.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const command = argv[0] ?? 'serve';
  switch (command) {
    case 'serve':
      return serve();
    case 'doctor': {
      const findings = await runDoctor(loadConfig());
      console.log(formatFindings(findings));
      process.exitCode = findings.every((f) => f.ok) ? 0 : 1;
      return;
    }
    case 'dead-letters':
      await withQueue(async (queue) => {
        const letters = deadLetterReport(await queue.deadLetters(100));
        if (letters.length) console.table(letters);
        else console.log('no dead letters');
      });
      return;
    case 'backfill': {
      const { output, exitCode } = await runBackfillCommand(loadConfig(), argv.slice(1));
      (exitCode === 0 ? console.log : console.error)(output);
      process.exitCode = exitCode;
      return;
    }
    case 'requeue-dead':
      await withQueue(async (queue) => console.log(`${await queue.requeueDead(Date.now())} dead letters queued again`));
      return;
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((err) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(78); // EX_CONFIG
  }
  if (err instanceof OutboxOpenError) {
    console.error(err.message);
    process.exit(74); // EX_IOERR
  }
  if (err instanceof ListenError) {
    console.error(err.message);
    process.exit(71); // EX_OSERR
  }
  createLogger('error').fatal({ err }, 'sidecar failed to start');
  process.exit(1);
});
