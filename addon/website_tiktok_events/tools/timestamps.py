"""Unix seconds (the sidecar's reports) and Odoo's naive UTC datetimes."""
from datetime import datetime, timezone


def from_unix(seconds):
    """Unix seconds as Odoo's naive UTC datetime (None stays False)."""
    if seconds is None:
        return False
    return datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)


def to_unix(value):
    """Odoo's naive UTC datetime as unix seconds."""
    return value.replace(tzinfo=timezone.utc).timestamp()
