import { Component, onMounted, onWillUnmount, useState } from '@odoo/owl';
import { _t } from './translate';
import { useService, type ActionService, type OrmService, type NotificationService } from '@web/core/utils/hooks';
import { errorMessage } from './dashboard';
import { pollUntil } from './poll';
import { shownTime } from './times';
import type { ConnectionStatus } from './types';

/** How the dialog waits for the sidecar's first report with the new key. */
export const CONNECTION_POLL = { intervalMs: 3000, timeoutMs: 10 * 60_000 };

export interface SidecarKeyParams {
  login: string;
  key: string;
  env_lines: string;
  compose: string;
  /** When the key was made (unix seconds): a report after it proves the key works. */
  since: number;
  rotated: boolean;
}

interface SidecarKeyProps {
  action: { params?: Partial<SidecarKeyParams> };
}

/**
 * Shown once by the "Connect the sidecar" wizard: the new API key with the
 * lines to paste, then "connected" as soon as a replica reports with it.
 * The key lives only in this dialog; Odoo keeps a hash of it.
 */
export class SidecarKeyDialog extends Component<SidecarKeyProps> {
  /** In ./sidecarKeyDialog.xml, beside this file. */
  static override template = 'website_tiktok_events.SidecarKeyDialog';
  static override props = ['*'];

  state!: { connection: ConnectionStatus | null; error: string; gaveUp: boolean };
  orm!: OrmService;
  notification!: NotificationService;
  action!: ActionService;

  override setup(): void {
    this.orm = useService('orm');
    this.action = useService('action');
    this.notification = useService('notification');
    this.state = useState({ connection: null, error: '', gaveUp: false });
    let closed = false;
    onWillUnmount(() => (closed = true));
    onMounted(() => void this.waitForReport(() => closed));
  }

  get params(): Partial<SidecarKeyParams> {
    return this.props.action.params ?? {};
  }

  get rotatedText(): string {
    return _t('The previous key of %s no longer works.', this.params.login ?? '');
  }

  get connectedText(): string {
    const replicas = (this.state.connection?.replicas ?? []).map((replica) =>
      _t('%(replica)s reported at %(time)s', { replica: replica.replica, time: shownTime(replica.last_seen) }),
    );
    return _t('Connected: %s.', replicas.join(', '));
  }

  async waitForReport(cancelled: () => boolean): Promise<void> {
    const since = this.params.since;
    if (typeof since !== 'number') return;
    try {
      const result = await pollUntil(
        () => this.orm.call<ConnectionStatus>('tiktok.sidecar.report', 'tiktok_connection_status', [since]),
        (status) => status.connected,
        (status) => (this.state.connection = status),
        { ...CONNECTION_POLL, cancelled },
      );
      if (result?.timedOut) this.state.gaveUp = true;
    } catch (error) {
      this.state.error = errorMessage(error);
    }
  }

  /** The key is copied (or lost): back to the settings. */
  close(): Promise<unknown> {
    return this.action.doAction({ type: 'ir.actions.act_window_close' });
  }

  async copy(text: string | undefined): Promise<void> {
    if (!text) return;
    try {
      await navigator.clipboard.writeText(text);
      this.notification.add(_t('Copied to the clipboard.'), { type: 'success' });
    } catch {
      this.notification.add(_t('Your browser did not let Odoo copy: select the text and copy it yourself.'), {
        type: 'warning',
      });
    }
  }
}
