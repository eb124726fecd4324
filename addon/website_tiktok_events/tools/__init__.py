# Pure helpers (no Odoo imports): safe to unit-test and reuse anywhere.
from . import contents
from . import control_room
from . import hashing
from . import page_config
from . import report_contract
from . import settings_resolution
from . import sidecar_connection
