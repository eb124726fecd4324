from . import test_pos_events
from . import test_translations
