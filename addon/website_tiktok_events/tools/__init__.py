# Pure helpers (no Odoo imports): safe to unit-test and reuse anywhere.
from . import contents
from . import hashing
from . import page_config
from . import settings_resolution
