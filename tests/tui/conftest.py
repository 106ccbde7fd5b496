"""The terminal app's fixtures; they live in tui_support so tests can import them."""

from tui_support import *  # noqa: F403
from tui_support import _quiet_cwd  # noqa: F401
