from . import payment_transaction
from . import product_template
from . import res_config_settings
from . import sale_order
from . import tiktok_server_event
from . import website
from . import website_page
