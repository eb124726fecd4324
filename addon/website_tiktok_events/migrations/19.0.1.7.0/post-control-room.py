"""19.0.1.7.0:
- A shop that had the CRM or the Point of Sale before it upgraded gets the
  bridge modules too, as a fresh install would (they are auto_install, which
  Odoo applies only when a dependency is being installed, never on an
  upgrade): without them no CRM stage and no offline Purchase is ever sent.
- The control room keeps the latency of the last report that delivered
  something, with its date: a replica's stored latency was measured by its
  last report when it is not 0."""
from odoo import SUPERUSER_ID, api

from odoo.addons.website_tiktok_events.tools.control_room import BRIDGES, missing_bridges


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    modules = env['ir.module.module'].search([('name', 'in', [*BRIDGES, *BRIDGES.values()])])
    due = missing_bridges({module.name: module.state for module in modules})
    # Marked "to install": Odoo's loading installs them in this same run.
    modules.filtered(lambda module: module.name in due and module.state == 'uninstalled').button_install()
    cr.execute("UPDATE tiktok_sidecar_report SET latency_measured_at = last_seen "
               "WHERE latency_measured_at IS NULL AND latency_p95 > 0")
