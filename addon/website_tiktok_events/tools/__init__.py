# Pure helpers shared by the models: no Odoo imports, no environment, no
# model method; plain values in, plain values out. Safe to unit-test and
# reuse anywhere. What needs Odoo's records or environment is on the models.
from . import access
from . import contact_data
from . import contents
from . import control_room
from . import frozen_lines
from . import hashing
from . import page_config
from . import report_contract
from . import settings_resolution
from . import settings_table
from . import sidecar_connection
from . import timestamps
