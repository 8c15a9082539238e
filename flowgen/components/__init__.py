"""The component configs of flowgen's own classes, registered with ``flowgen.core.component_config``.

Each module registers the classes of one package (a ComponentSpec each: provider name, config schema,
and the functions between object and config). ``flowgen.core.component_config`` imports them on the first
dump or load; nothing else needs to.
"""
