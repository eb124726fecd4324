from . import test_crm_events
