import { Component, onWillDestroy, useState } from '@odoo/owl';
import type { FiredEvent, Tracker } from '../core/tracker';

interface PixelHelperProps {
  tracker: Tracker;
}

/**
 * The built-in "pixel helper", shown only when the website's TikTok debug
 * flag is on: every event this page fired, its id, its data and what the
 * relay answered — what a merchant checks before trusting the numbers. It sits
 * at the end of the page, in its flow, so it never covers the shop.
 */
export class PixelHelper extends Component<PixelHelperProps> {
  /** In ./pixelHelper.xml, beside this file: Odoo translates its strings like its own templates'. */
  static override template = 'website_tiktok_events.PixelHelper';
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
