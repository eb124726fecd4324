from . import cart
from . import main
