import { Worker } from 'node:worker_threads';

/**
 * Runs SQLite's WAL checkpoints on a worker thread with its own connection.
 * A checkpoint copies the log into the database file and fsyncs both; done on the
 * relay's thread it stalls every request in flight for that long, which is what
 * a p99 latency shows first.
 */
export class BackgroundCheckpointer {
  private readonly worker: Worker;

  constructor(file: string, intervalMs = 500) {
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const Database = require(workerData.driver);
      const db = new Database(workerData.file);
      db.pragma('busy_timeout = 1000');
      let ticks = 0;
      const timer = setInterval(() => {
        try {
          // PASSIVE never waits for the writer; every so often TRUNCATE keeps the log file small.
          db.pragma(++ticks % 20 === 0 ? 'wal_checkpoint(TRUNCATE)' : 'wal_checkpoint(PASSIVE)');
        } catch (err) {
          /* busy: try again at the next tick */
        }
      }, workerData.intervalMs);
      parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
    `;
    // Not unref'd: an unref'd worker was seen never to start while the main thread stayed busy.
    // close() of the store stops it.
    this.worker = new Worker(source, { eval: true, workerData: { file, intervalMs, driver: require.resolve('better-sqlite3') } });
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage('stop');
    await exited;
  }
}
