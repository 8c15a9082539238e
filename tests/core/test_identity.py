"""AgentId, TopicId, AgentType and DefaultTopicId: validation, str forms, from_str."""

from __future__ import annotations

import pytest

from flowgen.core import AgentId, AgentType, DefaultTopicId, TopicId


def test_agent_id_str_repr_and_from_str_round_trip() -> None:
    agent_id = AgentId(AgentType("worker"), "a/b")
    assert str(agent_id) == "worker/a/b"
    assert repr(agent_id) == 'AgentId(type="worker", key="a/b")'
    assert AgentId.from_str(str(agent_id)) == agent_id
    assert hash(AgentId("worker", "a/b")) == hash(agent_id)


@pytest.mark.parametrize("bad", ["has space", "slash/no", "", "colon:no"])
def test_agent_types_outside_the_pattern_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid agent type"):
        AgentId(bad, "k")


def test_topic_types_allow_colon_and_equals() -> None:
    assert str(TopicId("a:b=c", "src")) == "a:b=c/src"
    with pytest.raises(ValueError, match="invalid topic type"):
        TopicId("no space", "s")
    assert TopicId.from_str("t/s/x") == TopicId("t", "s/x")
    with pytest.raises(ValueError, match="expected the form"):
        TopicId.from_str("nosep")
    with pytest.raises(ValueError, match="expected the form"):
        AgentId.from_str("nosep")


def test_default_topic_outside_a_handler_is_default_default() -> None:
    assert (DefaultTopicId().type, DefaultTopicId().source) == ("default", "default")
    assert isinstance(DefaultTopicId(), TopicId)
