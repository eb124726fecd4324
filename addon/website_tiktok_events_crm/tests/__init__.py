from . import test_crm_events
from . import test_translations
