"""The demo's tickets: about fifty requests in English, Russian and Chinese, each
with the conversation that follows it. See :mod:`.steps` for how they are written.
"""

from .en import ENGLISH
from .ru import RUSSIAN
from .steps import Script, Step
from .zh import CHINESE

SCRIPTS: list[Script] = [*ENGLISH, *RUSSIAN, *CHINESE]

__all__ = ["SCRIPTS", "Script", "Step"]
