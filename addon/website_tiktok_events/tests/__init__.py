from . import test_hashing
from . import test_settings
from . import test_sidecar_access
from . import test_page_injection
from . import test_purchases
from . import test_report_intake
from . import test_dashboard
from . import test_sidecar_connect
