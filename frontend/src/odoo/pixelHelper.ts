import { Component, onWillDestroy, useState, xml } from '@odoo/owl';
import type { FiredEvent, Tracker } from '../core/tracker';

interface PixelHelperProps {
  tracker: Tracker;
}

/**
 * The built-in "pixel helper", shown only when the website's TikTok debug
 * flag is on: every event this page fired, its id, its data and what the
 * relay answered — what a merchant checks before trusting the numbers.
 */
export class PixelHelper extends Component<PixelHelperProps> {
  static override template = xml`
    <div class="o_tiktok_pixelHelper o_tiktok_pixelHelper_panel" style="position:fixed;bottom:8px;right:8px;z-index:1100;max-width:420px;max-height:50vh;overflow:auto;background:#fff;font:12px monospace;border:1px solid #999">
      <b t-on-click="toggle" style="cursor:pointer">TikTok events (<t t-esc="state.records.length"/>)</b>
      <ol t-if="state.open">
        <li t-foreach="state.records" t-as="r" t-key="r.eventId" class="o_tiktok_pixelHelper_event" t-att-data-event="r.event" t-att-data-relay="r.relay">
          <b t-esc="r.name"/> <t t-esc="r.eventId"/> relay: <t t-esc="r.relay"/> <t t-esc="r.detail"/>
          <pre t-esc="json(r.properties)"/>
        </li>
      </ol>
    </div>`;
  static override props = { tracker: Object };

  state!: { open: boolean; records: FiredEvent[] };

  override setup(): void {
    this.state = useState({ open: true, records: [] as FiredEvent[] });
    const refresh = (records: readonly FiredEvent[]) => {
      this.state.records = records.map((r) => ({ ...r }));
    };
    refresh(this.props.tracker.records);
    onWillDestroy(this.props.tracker.subscribe(refresh));
  }

  toggle(): void {
    this.state.open = !this.state.open;
  }

  /** OWL templates see only the component, not globals such as JSON. */
  json(value: unknown): string {
    return JSON.stringify(value);
  }

}
