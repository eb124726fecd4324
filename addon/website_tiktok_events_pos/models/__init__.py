from . import tiktok_pos_sale
from . import tiktok_source_event
from . import pos_config
from . import pos_order
