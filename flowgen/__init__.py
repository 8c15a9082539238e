"""flowgen: multi-agent LLM applications with the AutoGen AgentChat API, compiled to explicit graphs.

The public modules mirror AutoGen's: ``flowgen.agents``, ``flowgen.teams``, ``flowgen.conditions``,
``flowgen.messages``, ``flowgen.base``, ``flowgen.ui``, ``flowgen.tools``, ``flowgen.core``,
``flowgen.models``, ``flowgen.model_context``. Importing ``flowgen`` itself loads nothing heavy.
"""

__version__ = "0.1.0"
