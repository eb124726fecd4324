import { Component, onMounted, onWillUnmount, useState } from '@odoo/owl';
import { _t } from './translate';
import { useService, type OrmService } from '@web/core/utils/hooks';
import { errorMessage } from './dashboard';
import { pollUntil } from './poll';
import type { TestEventStatus } from './types';
import { isFinalTestState } from './view';

/** The dialog asks for news every 2 s, for a minute at most. */
export const TEST_EVENT_POLL = { intervalMs: 2000, timeoutMs: 60_000 };

interface TestEventProps {
  action: { params?: { request_id?: number } };
  close?: () => void;
}

/**
 * Opened by "Send a test event" in the settings: follows the request until
 * the sidecar reports TikTok's answer, and shows its code and message.
 */
export class TestEventDialog extends Component<TestEventProps> {
  /** In ./testEventDialog.xml, beside this file. */
  static override template = 'website_tiktok_events.TestEventDialog';
  static override props = ['*'];

  state!: { status: TestEventStatus | null; timedOut: boolean; error: string };
  orm!: OrmService;

  override setup(): void {
    this.orm = useService('orm');
    this.state = useState({ status: null, timedOut: false, error: '' });
    let closed = false;
    onWillUnmount(() => (closed = true));
    onMounted(() => void this.follow(() => closed));
  }

  get requestId(): number | undefined {
    return this.props.action.params?.request_id;
  }

  get sentText(): string {
    return _t("Sent by %s: waiting for TikTok's answer…", this.state.status?.replica ?? '');
  }

  async follow(cancelled: () => boolean): Promise<void> {
    const id = this.requestId;
    if (!id) {
      this.state.error = _t('No test event request to follow.');
      return;
    }
    try {
      const result = await pollUntil(
        async () => (await this.orm.call<TestEventStatus[]>('tiktok.test.event', 'tiktok_test_event_status', [[id]]))[0],
        (status) => !status || isFinalTestState(status.state),
        (status) => (this.state.status = status ?? null),
        { ...TEST_EVENT_POLL, cancelled },
      );
      if (result?.timedOut) this.state.timedOut = true;
    } catch (error) {
      this.state.error = errorMessage(error);
    }
  }
}
