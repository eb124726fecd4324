/* TikTok Pixel + Events API for Odoo: generated from frontend/src by scripts/buildFrontend.ts; do not edit. LGPL-3.0-or-later */
import { registry } from "@web/core/registry";
import { Component, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { Component as Component2, onMounted, onWillUnmount as onWillUnmount2, useState as useState2 } from "@odoo/owl";
import { useService as useService2 } from "@web/core/utils/hooks";
import { Component as Component3, onMounted as onMounted2, onWillUnmount as onWillUnmount3, useState as useState3 } from "@odoo/owl";
import { useService as useService3 } from "@web/core/utils/hooks";
// frontend/src/backend/main.ts


// frontend/src/backend/dashboard.ts


// frontend/src/backend/translate.ts


// frontend/src/backend/dashboard.ts



// frontend/src/backend/view.ts
var STATUS_BADGES = {
  connected: "text-bg-success",
  lagging: "text-bg-warning",
  down: "text-bg-danger",
  never: "text-bg-secondary"
};
function statusBadgeClass(status) {
  return `badge rounded-pill ${STATUS_BADGES[status] ?? STATUS_BADGES.never}`;
}
function hasCounts(counts) {
  return counts.accepted + counts.delivered + counts.retried + counts.dead > 0;
}
function activeEventRows(rows) {
  return rows.filter((row) => hasCounts(row.period));
}
function chartBars(points) {
  const highest = Math.max(0, ...points.map((point) => point.delivered));
  return points.map((point) => ({
    ...point,
    height: highest === 0 || point.delivered === 0 ? 0 : Math.max(2, Math.round(100 * point.delivered / highest))
  }));
}
function percentText(percent) {
  return percent === null ? "–" : `${percent} %`;
}
function isFinalTestState(state) {
  return state === "answered" || state === "failed";
}

// frontend/src/backend/dashboard.ts
var REFRESH_MS = 3e4;
var TikTokDashboard = class extends Component {
  constructor() {
    super(...arguments);
    this.statusBadgeClass = statusBadgeClass;
    this.percentText = percentText;
  }
  setup() {
    this.orm = useService("orm");
    this.action = useService("action");
    this.state = useState({ days: 7, websiteId: false, data: null, error: "" });
    onWillStart(() => this.load());
    const timer = setInterval(() => void this.load(), REFRESH_MS);
    onWillUnmount(() => clearInterval(timer));
  }
  get display() {
    return { controlPanel: {} };
  }
  get eventRows() {
    return this.state.data ? activeEventRows(this.state.data.events) : [];
  }
  get bars() {
    return this.state.data ? chartBars(this.state.data.chart) : [];
  }
  get thresholdsText() {
    const t = this.state.data.thresholds;
    return _t(
      "A replica reports every %(interval)s seconds unless it says otherwise. It is lagging after %(lagging)s missed report and down after %(down)s missed reports, with %(grace)s seconds of grace each time.",
      { interval: t.default_interval_seconds, lagging: t.lagging_after_missed, down: t.down_after_missed, grace: t.grace_seconds }
    );
  }
  get eventsTitle() {
    const data = this.state.data;
    return _t("Events: today and the last %(days)s days (%(first)s – %(today)s, UTC days)", {
      days: data.days,
      first: data.first_day,
      today: data.today
    });
  }
  get purchasesTitle() {
    const data = this.state.data;
    return _t("Purchase of the confirmed web orders: %(orders)s over the last %(days)s days", {
      orders: data.purchases.orders,
      days: data.days
    });
  }
  get deadLettersText() {
    const { dead, requested } = this.state.data.dead_letters;
    const parts = [dead ? _t("Dead letters (events TikTok refused for good): %s.", dead) : _t("No dead letters.")];
    if (requested) parts.push(_t("%s waiting to be sent again.", requested));
    return parts.join(" ");
  }
  daysLabel(days) {
    return _t("%s days", days);
  }
  milliseconds(value) {
    return _t("%s ms", value);
  }
  async load() {
    try {
      this.state.data = await this.orm.call("tiktok.sidecar.report", "tiktok_dashboard_data", [], {
        days: this.state.days,
        website_id: this.state.websiteId
      });
      this.state.error = "";
    } catch (error) {
      this.state.error = _t("The TikTok dashboard could not be loaded: %s", errorMessage(error));
    }
  }
  async setDays(days) {
    this.state.days = days;
    await this.load();
  }
  async setWebsite(event) {
    const value = Number(event.target.value);
    this.state.websiteId = value > 0 ? value : false;
    await this.load();
  }
  openDeadLetters() {
    return this.action.doAction("website_tiktok_events.action_tiktok_dead_letter");
  }
};
TikTokDashboard.template = "website_tiktok_events.Dashboard";
TikTokDashboard.components = { Layout };
TikTokDashboard.props = ["*"];
function errorMessage(error) {
  const data = error?.data;
  if (data && typeof data.message === "string") return data.message;
  return error instanceof Error ? error.message : String(error);
}

// frontend/src/backend/sidecarKeyDialog.ts



// frontend/src/backend/poll.ts
var wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function pollUntil(fetchValue, isDone, onValue, options) {
  const sleep = options.sleep ?? wait;
  const now = options.now ?? Date.now;
  const cancelled = options.cancelled ?? (() => false);
  const deadline = now() + options.timeoutMs;
  for (; ; ) {
    if (cancelled()) return void 0;
    const value = await fetchValue();
    if (cancelled()) return void 0;
    onValue(value);
    if (isDone(value)) return { value, done: true, timedOut: false };
    if (now() + options.intervalMs > deadline) return { value, done: false, timedOut: true };
    await sleep(options.intervalMs);
  }
}

// frontend/src/backend/sidecarKeyDialog.ts
var CONNECTION_POLL = { intervalMs: 3e3, timeoutMs: 10 * 6e4 };
var SidecarKeyDialog = class extends Component2 {
  setup() {
    this.orm = useService2("orm");
    this.notification = useService2("notification");
    this.state = useState2({ connection: null, error: "", gaveUp: false });
    let closed = false;
    onWillUnmount2(() => closed = true);
    onMounted(() => void this.waitForReport(() => closed));
  }
  get params() {
    return this.props.action.params ?? {};
  }
  get rotatedText() {
    return _t("The previous key of %s no longer works.", this.params.login ?? "");
  }
  get connectedText() {
    const replicas = (this.state.connection?.replicas ?? []).map(
      (replica) => _t("%(replica)s reported at %(time)s", { replica: replica.replica, time: replica.last_seen })
    );
    return _t("Connected: %s.", replicas.join(", "));
  }
  async waitForReport(cancelled) {
    const since = this.params.since;
    if (typeof since !== "number") return;
    try {
      const result = await pollUntil(
        () => this.orm.call("tiktok.sidecar.report", "tiktok_connection_status", [since]),
        (status) => status.connected,
        (status) => this.state.connection = status,
        { ...CONNECTION_POLL, cancelled }
      );
      if (result?.timedOut) this.state.gaveUp = true;
    } catch (error) {
      this.state.error = errorMessage(error);
    }
  }
  async copy(text) {
    if (!text) return;
    try {
      await navigator.clipboard.writeText(text);
      this.notification.add(_t("Copied to the clipboard."), { type: "success" });
    } catch {
      this.notification.add(_t("Your browser did not let Odoo copy: select the text and copy it yourself."), {
        type: "warning"
      });
    }
  }
};
SidecarKeyDialog.template = "website_tiktok_events.SidecarKeyDialog";
SidecarKeyDialog.props = ["*"];

// frontend/src/backend/testEventDialog.ts


var TEST_EVENT_POLL = { intervalMs: 2e3, timeoutMs: 6e4 };
var TestEventDialog = class extends Component3 {
  setup() {
    this.orm = useService3("orm");
    this.state = useState3({ status: null, timedOut: false, error: "" });
    let closed = false;
    onWillUnmount3(() => closed = true);
    onMounted2(() => void this.follow(() => closed));
  }
  get requestId() {
    return this.props.action.params?.request_id;
  }
  get sentText() {
    return _t("Sent by %s: waiting for TikTok's answer…", this.state.status?.replica ?? "");
  }
  async follow(cancelled) {
    const id = this.requestId;
    if (!id) {
      this.state.error = _t("No test event request to follow.");
      return;
    }
    try {
      const result = await pollUntil(
        async () => (await this.orm.call("tiktok.test.event", "tiktok_test_event_status", [[id]]))[0],
        (status) => !status || isFinalTestState(status.state),
        (status) => this.state.status = status ?? null,
        { ...TEST_EVENT_POLL, cancelled }
      );
      if (result?.timedOut) this.state.timedOut = true;
    } catch (error) {
      this.state.error = errorMessage(error);
    }
  }
};
TestEventDialog.template = "website_tiktok_events.TestEventDialog";
TestEventDialog.props = ["*"];

// frontend/src/backend/main.ts
var actions = registry.category("actions");
actions.add("website_tiktok_events.dashboard", TikTokDashboard);
actions.add("website_tiktok_events.test_event", TestEventDialog);
actions.add("website_tiktok_events.sidecar_key", SidecarKeyDialog);
