from . import test_pos_events
