"""Behaviour both command-line executors share (AutoGen's LocalCommandLineCodeExecutor API)."""

from __future__ import annotations

import venv
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from flowgen.code_executors import (
    CodeBlock,
    CommandLineExecutor,
    FunctionWithRequirements,
    LocalCommandLineCodeExecutor,
    SandboxedCodeExecutor,
    languages,
    with_requirements,
)
from flowgen.core import CancellationToken
from flowgen.errors import CodeFunctionsError, ConfigurationError

pytestmark = pytest.mark.filterwarnings("ignore:LocalCommandLineCodeExecutor runs code:UserWarning")


@with_requirements(global_imports=["math"])
def circle_area(radius: float) -> float:
    """The area of a circle."""
    return math.pi * radius * radius  # type: ignore[name-defined]  # noqa: F821


def add(a: int, b: int) -> int:
    return a + b


KINDS = ["local", "sandboxed"]


def make(kind: str, **kwargs: object) -> CommandLineExecutor:
    cls = LocalCommandLineCodeExecutor if kind == "local" else SandboxedCodeExecutor
    return cls(timeout=10, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(params=KINDS)
async def executor(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CommandLineExecutor]:
    async with make(request.param, work_dir=tmp_path) as ex:
        yield ex


async def run(executor: CommandLineExecutor, *blocks: tuple[str, str]):  # type: ignore[no-untyped-def]
    return await executor.execute_code_blocks(
        [CodeBlock(code=c, language=lang) for lang, c in blocks], CancellationToken()
    )


async def test_blocks_run_in_order_and_outputs_join(executor: CommandLineExecutor) -> None:
    result = await run(executor, ("python", "print('one')"), ("sh", "echo two"), ("bash", "echo three"))
    assert (result.exit_code, result.output) == (0, "one\ntwo\nthree\n")


async def test_the_first_failing_block_ends_the_call(executor: CommandLineExecutor) -> None:
    result = await run(executor, ("python", "raise SystemExit(3)"), ("python", "print('never')"))
    assert result.exit_code == 3
    assert "never" not in result.output


async def test_errors_come_before_output_as_in_autogen(executor: CommandLineExecutor) -> None:
    result = await run(executor, ("python", "import sys\nprint('out')\nprint('err', file=sys.stderr)"))
    assert result.output == "err\nout\n"


async def test_py_and_python3_fences_are_python(executor: CommandLineExecutor) -> None:
    result = await run(executor, ("py", "print(1)"), ("Python3", "print(2)"))
    assert result.output == "1\n2\n"


async def test_an_unknown_language_is_a_failed_result_naming_the_supported_ones(
    executor: CommandLineExecutor,
) -> None:
    result = await run(executor, ("cobol", "DISPLAY 'HI'."))
    assert result.exit_code == 1
    assert "unknown language 'cobol'" in result.output
    assert "python" in result.output


async def test_a_filename_line_names_the_file_kept_in_the_work_dir(executor: CommandLineExecutor) -> None:
    result = await run(executor, ("python", "# filename: pkg/hello.py\nprint('hi')"))
    assert result.output == "hi\n"
    assert result.code_file == str(executor.work_dir / "pkg" / "hello.py")


async def test_a_filename_outside_the_work_dir_is_refused(executor: CommandLineExecutor) -> None:
    result = await run(executor, ("python", "# filename: ../escape.py\nprint('hi')"))
    assert result.exit_code == 1
    assert "outside the work dir" in result.output
    assert not (executor.work_dir.parent / "escape.py").exists()


async def test_code_files_are_removed_unless_asked_to_keep_them(tmp_path: Path) -> None:
    for kind in KINDS:
        for cleanup in (True, False):
            work = tmp_path / f"{kind}-{cleanup}"
            async with make(kind, work_dir=work, cleanup_temp_files=cleanup) as ex:
                result = await run(ex, ("python", "print(1)"))
            assert result.code_file is not None
            assert Path(result.code_file).exists() is not cleanup


@pytest.mark.parametrize("kind", KINDS)
async def test_functions_are_importable_from_the_functions_module(kind: str, tmp_path: Path) -> None:
    source = FunctionWithRequirements.from_str("def twice(x):\n    return 2 * x\n")
    async with make(
        kind, work_dir=tmp_path, functions=[circle_area, add, source], functions_module="tools_mod"
    ) as ex:
        assert "from tools_mod import foo" in ex.format_functions_for_prompt()
        assert "def circle_area(radius: float) -> float:" in ex.format_functions_for_prompt()
        result = await run(
            ex,
            (
                "python",
                "from tools_mod import circle_area, add, twice\nprint(round(circle_area(1), 2), add(2, 3), twice(4))",
            ),
        )
    assert result.output == "3.14 5 8\n"


@pytest.mark.parametrize("kind", KINDS)
async def test_functions_that_fail_to_load_raise_a_clear_error(kind: str, tmp_path: Path) -> None:
    broken = FunctionWithRequirements.from_str(
        "def needs_numpy():\n    return 1\n", global_imports=["no_such_module_x"]
    )
    async with make(kind, work_dir=tmp_path, functions=[broken]) as ex:
        with pytest.raises(CodeFunctionsError, match=r"(?s)failed to load.*no_such_module_x"):
            await run(ex, ("python", "print(1)"))


def test_a_function_source_with_two_functions_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="exactly one function"):
        FunctionWithRequirements.from_str("def a():\n    pass\ndef b():\n    pass\n")


@pytest.mark.parametrize("kind", KINDS)
def test_bad_construction_says_what_to_fix(kind: str) -> None:
    with pytest.raises(ConfigurationError, match="timeout must be a positive"):
        make(kind).__class__(timeout=0)
    with pytest.raises(ConfigurationError, match="functions_module must be a Python identifier"):
        make(kind).__class__(functions_module="not-valid")


@pytest.mark.parametrize("kind", KINDS)
async def test_a_temporary_work_dir_is_removed_by_stop(kind: str) -> None:
    ex = make(kind)
    await ex.start()
    work = ex.work_dir
    assert work.is_dir()
    await ex.stop()
    assert not work.exists()


@pytest.mark.parametrize("kind", KINDS)
async def test_a_virtual_environment_runs_the_code(kind: str, tmp_path: Path) -> None:
    builder = venv.EnvBuilder(with_pip=False, symlinks=True)
    builder.create(tmp_path / "venv")
    context = builder.ensure_directories(tmp_path / "venv")
    async with make(kind, work_dir=tmp_path / "work", virtual_env_context=context) as ex:
        result = await run(
            ex, ("python", "import sys, os\nprint(sys.prefix)\nprint(os.environ['VIRTUAL_ENV'])")
        )
    prefix, env_var = result.output.splitlines()
    assert Path(prefix).resolve() == (tmp_path / "venv").resolve()
    assert Path(env_var).resolve() == (tmp_path / "venv").resolve()


async def test_the_local_executor_sees_explicit_environment_variables(tmp_path: Path) -> None:
    async with LocalCommandLineCodeExecutor(work_dir=tmp_path, environment={"GREETING": "hi"}) as ex:
        result = await run(ex, ("sh", "echo $GREETING"))
    assert result.output == "hi\n"


async def test_the_sandbox_sees_only_its_explicit_environment(tmp_path: Path) -> None:
    async with SandboxedCodeExecutor(work_dir=tmp_path, environment={"GREETING": "hi"}) as ex:
        result = await run(ex, ("python", "import os\nprint(sorted(os.environ))"))
    assert result.output == "['GREETING', 'HOME', 'LANG', 'PATH', 'PWD', 'TMPDIR']\n"


async def test_a_missing_program_is_a_failed_result_not_a_crash(
    executor: CommandLineExecutor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(languages.SHELL_PROGRAMS, "ghostsh", "flowgen-no-such-shell")
    result = await run(executor, ("ghostsh", "echo hi"))
    assert result.exit_code == 127
    assert "flowgen-no-such-shell" in result.output
