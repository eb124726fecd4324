"""19.0.1.5.0 tells a replica's runs apart by the `run_id` of its reports (a
sidecar older than run ids is known by its start time, `started-<unix>`).
A replica's row from an earlier release gets the run its last report was
from, so that this run's next report, or that report sent again, counts as it
did before the upgrade: once."""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE tiktok_sidecar_report
           SET run_id = 'started-' || extract(epoch FROM started_at)::bigint
         WHERE run_id IS NULL AND started_at IS NOT NULL
        """
    )
