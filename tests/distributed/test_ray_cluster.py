"""RayAgentRuntime on a real two-node Ray cluster, started once for all these tests.

The cluster lives in a loopback-only network namespace (see README.md here), so the tests that talk
to it run inside that namespace too: one launcher process starts both nodes, runs the pytest module
tests/distributed/cluster_tests/on_cluster_*.py against them (in file name order: the module that
kills the worker node comes last) and stops them by pid. Each test
here reports one of those inner tests, with its failure text.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from flowgen.testing.ray_cluster import namespace_unavailable, run_on_local_cluster

pytestmark = pytest.mark.ray

ROOT = Path(__file__).resolve().parents[2]
INNER = Path(__file__).parent / "cluster_tests"


@pytest.fixture(scope="session")
def cluster_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ray-cluster")


@pytest.fixture(scope="session")
def cluster_results(cluster_workdir: Path) -> dict[str, str | None]:
    """Each inner test's name and its failure text (None when it passed)."""
    reason = namespace_unavailable()
    if reason is not None:
        pytest.skip(f"the Ray cluster tests need a loopback-only network namespace: {reason}")
    pytest.importorskip("ray", reason="the `ray` extra is not installed: pip install -e '.[ray]'")
    workdir = cluster_workdir
    junit = workdir / "junit.xml"
    done = run_on_local_cluster(
        [sys.executable, "-m", "pytest", str(INNER), "-o", "python_files=on_cluster_*.py",
         "-p", "no:cacheprovider", "-q", f"--junitxml={junit}"],
        workdir=workdir,
        pythonpath=[str(ROOT), str(INNER)],
        env={"FLOWGEN_IN_RAY_CLUSTER": "1"},
    )  # fmt: skip
    if not junit.exists():
        pytest.fail(
            f"the cluster run produced no results (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    results: dict[str, str | None] = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        results[case.attrib["name"]] = (
            None if problem is None else (problem.text or problem.attrib["message"])
        )
    return results


@pytest.mark.parametrize(
    "name",
    [
        # on_cluster_agent_link.py
        "test_an_agent_sends_to_an_agent_on_another_node_over_its_actors_link",
        "test_a_lost_peer_fails_the_agents_call_naming_the_agent_then_the_recreated_actor_serves",
        "test_direct_false_makes_the_agents_send_by_ray_calls_too",
        # on_cluster_in_process.py
        "test_a_send_to_an_agent_of_the_same_actor_goes_straight_to_its_handler",
        "test_failures_in_process_keep_their_types_as_across_actors",
        "test_a_cancelled_send_in_process_stops_the_partners_handler",
        "test_pinned_agent_answers_from_the_worker_node",
        "test_many_keys_share_an_actor_and_shards_split_them",
        "test_publish_fans_out_across_nodes",
        "test_agents_in_actors_send_and_publish_to_agents_on_other_nodes",
        "test_exception_types_cross_the_wire",
        "test_state_apis_reach_the_remote_agent",
        "test_cancelling_a_send_stops_the_remote_handler",
        "test_a_killed_actor_fails_the_call_in_flight_naming_the_agent",
        "test_a_recreated_actor_serves_agents_from_their_last_saved_state",
        "test_one_publish_reaches_every_agent_of_the_actor_once",
        "test_cancelling_a_send_alone_in_its_batch_stops_its_handler",
        *(
            f"test_each_team_type_on_ray_matches_its_local_run[{kind}]"
            for kind in (
                "round_robin",
                "selector",
                "swarm",
                "graph_flow",
                "conversation",
                "made_by_a_factory",
                "nested_team",
            )
        ),
        "test_inner_events_stream_back_while_the_turn_runs",
        *(
            f"test_a_cancelled_remote_step_then_continued_equals_an_uninterrupted_run[{way}]"
            for way in ("token", "task", "break")
        ),
        "test_interventions_drop_turns_and_the_delivery_log_records_them",
        "test_interventions_run_in_the_actors_on_what_their_agents_send",
        "test_the_delivery_log_gathers_what_agents_in_actors_sent",
        "test_reset_pause_resume_and_state_reach_the_actors",
        "test_a_participant_whose_actor_was_lost_continues_from_its_saved_state",
        "test_a_turn_run_by_an_actor_lost_before_its_reply_runs_once_more_in_the_recreated_actor",
        # on_cluster_agent_state.py
        *(
            f"test_state_in_an_outside_store_outlives_the_actor_and_the_runtime[{store}]"
            for store in ("postgres", "sqlite")
        ),
        # on_cluster_idempotent.py
        "test_a_killed_actor_fails_plain_calls_and_retries_idempotent_ones_once",
        "test_an_idempotent_call_fails_clearly_when_its_actor_cannot_come_back",
        # on_cluster_link.py
        "test_sends_batches_and_publishes_go_over_the_link",
        "test_a_wrong_token_and_bad_frames_are_refused_without_hurting_the_runtimes_link",
        "test_a_cancelled_send_over_the_link_stops_its_handler",
        "test_a_killed_host_fails_the_call_on_its_link_and_a_new_link_serves_the_next",
        "test_direct_false_sends_by_ray_calls",
        # on_cluster_run_pool.py
        "test_two_hundred_concurrent_runs_lose_nothing",
        "test_backpressure_holds_runs_in_the_queue",
        "test_a_run_with_no_worker_left_fails_clearly_and_its_thread_continues_later",
        "test_a_killed_worker_process_is_recreated_and_its_run_moves_on",
        # on_cluster_run_pool_stream.py
        "test_a_pool_run_streams_its_messages_as_they_are_stored",
        "test_a_served_run_on_ray_workers_streams_live",
        "test_cancelling_a_stream_stops_its_run_and_the_thread_continues_later",
        "test_a_failed_streamed_run_shows_what_it_stored_then_raises_its_error",
        # on_cluster_serve.py
        "test_served_runs_go_to_the_pools_workers",
        # on_cluster_team_release.py
        "test_equal_teams_in_a_row_cost_the_same_and_leave_nothing_behind",
        "test_distinct_teams_store_their_recipes_once_and_old_unused_ones_leave",
        "test_a_team_still_in_use_keeps_its_participants_and_conversation",
        # on_cluster_worker_loss.py (kills the worker node: runs last)
        "test_a_run_continues_on_the_head_node_when_its_node_is_killed",
    ],
)
def test_on_the_cluster(cluster_results: dict[str, str | None], name: str) -> None:
    assert name in cluster_results, f"{name} did not run on the cluster; ran: {sorted(cluster_results)}"
    failure = cluster_results[name]
    assert failure is None, failure


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            command = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # the process ended meanwhile
        if text in command:
            found.append(command)
    return found


def test_the_cluster_leaves_nothing_running(
    cluster_results: dict[str, str | None], cluster_workdir: Path
) -> None:
    # Every node and worker process was started with a path under the cluster's temporary folder.
    assert cluster_results
    assert _processes_mentioning(str(cluster_workdir)) == []
