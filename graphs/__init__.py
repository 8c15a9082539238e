"""Example applications: each module builds a team and runs offline on a model scripted for its story.

Convention (what ``flowgen run graphs/x.py`` looks for): a module exposes ``build(model_client=None)``
returning the team. Given a model client every agent uses it; given None each agent gets a small
deterministic model scripted for the example (:mod:`graphs.offline`), so the offline run tells the
example's story. ``flowgen run graphs/x.py:NAME`` picks another attribute (a team, a GraphSpec, or a
function returning one).
"""
