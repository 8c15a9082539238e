"""Side-by-side benchmarks of flowgen, AutoGen AgentChat and LangGraph on the same logical work.

Run ``python -m benchmarks`` (or ``make bench``). Every measurement runs in a fresh process
(:mod:`benchmarks.child`); the parent interleaves frameworks, repeats, and writes JSON, Markdown and
SVG (:mod:`benchmarks.cli`). This package's ``__init__`` stays empty of imports so that the start-up
scenario measures the framework, not the harness.
"""
