"""Terminal output for runs (AutoGen's ``autogen_agentchat.ui``)."""

from flowgen.ui.console import Console
from flowgen.ui.user_input import UserInputManager

__all__ = ["Console", "UserInputManager"]
