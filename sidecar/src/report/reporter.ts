import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { describeIssues } from '../contract/issues';
import { REPORT_MAX_DEAD_LETTERS, ReportAnswerSchema, type ReportAnswer, type ReportTestEvent, type TestEventRequest } from '../contract/report';
import type { LaneState } from '../dispatcher/lanes';
import { isOdooError } from '../odoo/errors';
import { failureBackoff, RepeatingTask } from '../odoo/repeating';
import type { OdooTransport } from '../odoo/types';
import type { EventQueue } from '../outbox/eventQueue';
import type { SettingsSource } from '../settings/types';
import type { EventsApiClient } from '../tiktok/client';
import { buildReport, type ReplicaInfo } from './buildReport';
import type { ReportTally, TakenInterval } from './tally';
import { planTestEvent, reportMessage, testEventAnswer } from './testEvent';

export const REPORT_MODEL = 'tiktok.sidecar.report';
export const REPORT_METHOD = 'tiktok_report';

/** Test requests remembered, so one asked again before its answer reached Odoo is not sent twice. */
const REMEMBERED_TEST_REQUESTS = 1000;

export interface ReporterDeps {
  odoo: () => Promise<OdooTransport>;
  tally: ReportTally;
  queue: Pick<EventQueue, 'counts' | 'deadLetters' | 'requeueDeadLetters'>;
  lanes: () => readonly LaneState[];
  settings: SettingsSource;
  client: EventsApiClient;
  log: Logger;
  /** Dead letters were queued again: wake the dispatcher. */
  onRequeued: () => void;
  clock?: () => number;
  /** Random characters of a test event's id. */
  nonce?: () => string;
}

export interface ReporterOptions {
  replica: ReplicaInfo;
  /** `POLL_INTERVAL_SECONDS`: Odoo counts a replica that stops reporting as down. */
  intervalMs: number;
  /** Upper bound of the backoff while Odoo does not take the reports. */
  maxBackoffMs: number;
}

/**
 * Reports to Odoo every interval (docs/CONTRACTS.md §7) on a loop of its own:
 * a purchase poll that fails, or drains a backlog back to back, neither stops
 * nor multiplies the reports. Acts on the answer: dead letters to send again,
 * test events to send.
 */
export class Reporter {
  private readonly clock: () => number;
  private readonly nonce: () => string;
  private readonly loop = new RepeatingTask(async () =>
    (await this.report()) ? this.opts.intervalMs : failureBackoff(this.failures, this.opts),
  );
  /** Reports go one at a time: two in flight would both carry the counts not acknowledged yet. */
  private last: Promise<boolean> = Promise.resolve(true);
  private failures = 0;
  private answerProblem?: string;
  private refusal?: string;
  private readonly testsInFlight = new Set<Promise<void>>();
  private readonly testRequestsSeen = new Set<number>();

  constructor(
    private readonly deps: ReporterDeps,
    private readonly opts: ReporterOptions,
  ) {
    this.clock = deps.clock ?? Date.now;
    this.nonce = deps.nonce ?? (() => randomBytes(4).toString('hex'));
  }

  /** Reports in a row Odoo did not take (0 while it takes them). */
  get consecutiveFailures(): number {
    return this.failures;
  }

  start(): void {
    this.loop.start();
  }

  /** Stop the loop, wait for test events in flight, and send a last report when Odoo took the previous one. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.allSettled([...this.testsInFlight]);
    if (this.failures === 0) await this.report();
  }

  /** Send one report and act on the answer; true when Odoo took it. Never throws. */
  report(): Promise<boolean> {
    this.last = this.last.then(() =>
      this.reportOnce().catch((err: unknown) => {
        this.deps.log.error({ err }, 'report: unexpected error; the next report goes as planned');
        return false;
      }),
    );
    return this.last;
  }

  private async reportOnce(): Promise<boolean> {
    const { tally, queue, settings, odoo } = this.deps;
    const taken = tally.take();
    let answer: unknown;
    try {
      const report = buildReport(this.opts.replica, this.clock(), {
        seq: taken.seq,
        interval: taken.interval,
        websiteOf: (pixelId) => settings.byPixel(pixelId)?.websiteId,
        outbox: await queue.counts(),
        lanes: this.deps.lanes(),
        deadLetters: await queue.deadLetters(REPORT_MAX_DEAD_LETTERS),
      });
      answer = await (await odoo()).call<unknown>(REPORT_MODEL, REPORT_METHOD, { kwargs: { report } });
    } catch (err) {
      if (isOdooError(err) && err.kind === 'validation') return this.refused(taken, err.message);
      return this.failed((err as Error).message);
    }
    const parsed = ReportAnswerSchema.safeParse(answer);
    if (parsed.success && !parsed.data.ok) return this.failed('Odoo answered ok: false');
    // Odoo answered: its transaction committed the report.
    tally.acknowledge(taken);
    this.recovered();
    if (!parsed.success) {
      this.answerIgnored(describeIssues(parsed.error));
      return true;
    }
    this.answerProblem = undefined;
    this.refusal = undefined;
    try {
      await this.act(parsed.data);
    } catch (err) {
      this.deps.log.error({ err }, "report: Odoo's requests (send again, test events) could not be carried out; the dead letters stay listed");
    }
    return true;
  }

  private failed(reason: string): boolean {
    this.failures += 1;
    if (this.failures === 1) {
      this.deps.log.warn({ err: reason }, "report: Odoo did not take the sidecar's report; it goes again, counts unchanged, with the next one");
    }
    return false;
  }

  /**
   * Odoo read the report and refused its content: sent again it would be refused
   * again and hold back every later count, so this interval is dropped, loudly.
   */
  private refused(taken: TakenInterval, reason: string): boolean {
    this.deps.tally.acknowledge(taken);
    // Once per reason: every interval refused alike is one problem, not one line a minute.
    if (reason !== this.refusal) {
      this.refusal = reason;
      this.deps.log.error({ seq: taken.seq, err: reason }, "report: Odoo refused the sidecar's report; its counts are dropped (a newer module or sidecar is needed)");
    } else {
      this.deps.log.debug({ seq: taken.seq }, 'report: refused again for the same reason; its counts are dropped');
    }
    this.recovered();
    return true;
  }

  private recovered(): void {
    if (this.failures > 0) this.deps.log.info({ failedReports: this.failures }, 'report: Odoo takes the reports again; the counts held meanwhile went with this one');
    this.failures = 0;
  }

  /** One line per kind of malformed answer, not one per report. */
  private answerIgnored(problem: string): void {
    if (problem === this.answerProblem) return;
    this.answerProblem = problem;
    this.deps.log.warn({ problem }, "report: Odoo's answer to the report is not what the sidecar reads; its requests (send again, test events) are ignored");
  }

  private async act(answer: ReportAnswer): Promise<void> {
    const ids = [...new Set(answer.send_again.map((s) => s.id))];
    if (ids.length) {
      const requeued = await this.deps.queue.requeueDeadLetters(ids, this.clock());
      this.deps.log.info({ asked: ids.length, requeued }, 'report: dead letters queued again at Odoo\'s request, with their event ids');
      if (requeued) this.deps.onRequeued();
    }
    for (const request of answer.test_events) this.sendTestEvent(request);
  }

  private sendTestEvent(request: TestEventRequest): void {
    if (this.testRequestsSeen.has(request.request_id)) return;
    this.testRequestsSeen.add(request.request_id);
    if (this.testRequestsSeen.size > REMEMBERED_TEST_REQUESTS) this.testRequestsSeen.delete(this.testRequestsSeen.values().next().value!);
    const plan = planTestEvent(request, this.deps.settings.all(), this.clock(), this.nonce());
    if (plan.kind === 'answer') return this.testAnswered(request, plan.answer);
    const sent = this.deps.client
      .send(plan.body, plan.accessToken)
      .then(
        (outcome) => testEventAnswer(plan.requestId, plan.eventId, outcome),
        (err: unknown): ReportTestEvent => ({ request_id: plan.requestId, message: reportMessage(`not sent: ${(err as Error).message}`) }),
      )
      .then((answer) => this.testAnswered(request, answer))
      .finally(() => this.testsInFlight.delete(sent));
    this.testsInFlight.add(sent);
  }

  private testAnswered(request: TestEventRequest, answer: ReportTestEvent): void {
    this.deps.tally.testEventAnswered(answer);
    this.deps.log.info(
      { requestId: request.request_id, websiteId: request.website_id, code: answer.code, message: answer.message },
      'report: test event handled; the answer goes with the next report',
    );
  }
}
