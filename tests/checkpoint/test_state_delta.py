"""State deltas: appends are written as appends, anything else as the new value, and apply inverts diff."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowgen.checkpoint.state_delta import apply, diff
from flowgen.errors import StateError

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4),
    max_leaves=20,
)


@given(json_values, json_values)
def test_apply_inverts_diff(old: Any, new: Any) -> None:
    assert apply(old, diff(old, new)) == new


def test_an_append_writes_only_the_new_items() -> None:
    old = {"ctx": {"messages": list(range(1000))}, "n": 1}
    new = {"ctx": {"messages": [*range(1000), 1000]}, "n": 1}
    assert diff(old, new) == {"{": {"ctx": {"{": {"messages": {"+": [1000]}}}}}


def test_removed_keys_and_rewritten_lists_are_recorded() -> None:
    assert diff({"a": [1, 2], "b": 1}, {"a": [9]}) == {"{": {"a": {"=": [9]}}, "-": ["b"]}


@pytest.mark.parametrize("bad", [[1], {"+": 1, "=": 2}, {"?": 1}])
def test_a_malformed_delta_is_a_state_error(bad: Any) -> None:
    with pytest.raises(StateError):
        apply({"a": 1}, bad)
