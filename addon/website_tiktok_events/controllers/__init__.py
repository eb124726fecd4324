from . import cart
from . import main
from . import sidecar
from . import catalog
