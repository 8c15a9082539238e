"""SandboxedCodeExecutor: each block runs in a fresh bubblewrap sandbox that dies with the call.

Inside the sandbox the code sees a read-only system (``/usr`` and the Python it runs on), its work dir
at ``/workspace`` (the only writable place it shares with the host), a private ``/tmp``, no network
(not even the host's 127.0.0.1), an environment holding only what the executor sets, and a fresh PID
namespace: when the block ends, every process it started is gone. It runs as uid 64999 (an id no
account uses, so that it owns nothing on the host) with no capabilities and ``no_new_privs``, under the CPU, memory, process, file-size and open-file
limits of :class:`ResourceLimits`; the executor stops it at the timeout or when its output outgrows
``max_output_bytes``.

The work dir is the one place the code writes to the host's disk: each file is bounded by
``max_file_bytes``, their number and total only by the timeout. Give untrusted code a work dir on a
filesystem with room to spare (or a quota).

Running as root, the sandbox drops to the host's uid 64999 (``setpriv``), so the kernel counts the
process limit against that uid, which only sandboxes use (not ``nobody``, which daemons run as); as
any other user, it maps that user to 64999 in a user namespace.
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
import signal
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

from flowgen.code_executors.command_line import CommandLineExecutor
from flowgen.code_executors.functions import AnyFunction, required_packages
from flowgen.code_executors.limits import ResourceLimits
from flowgen.code_executors.process import ProcessRun, run_process
from flowgen.core import CancellationToken
from flowgen.errors import CodeFunctionsError, SandboxUnavailableError

#: The uid code runs as in the sandbox: one no account uses (see the module docstring).
SANDBOX_UID = 64999
#: Where the work dir appears inside the sandbox.
WORKSPACE = "/workspace"
_SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin"
#: System files programs expect; only those present are mounted (read-only).
_ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime")

INSTALL_HINT = (
    "install the 'bubblewrap' package from your system's packages (Debian/Ubuntu: "
    "apt-get install bubblewrap; Fedora: dnf install bubblewrap), or run `make test`, which installs it"
)


def find_bwrap() -> str | None:
    """The path of ``bwrap``, or None when bubblewrap is not installed."""
    return shutil.which("bwrap")


class SandboxedCodeExecutor(CommandLineExecutor):
    """Runs each code block in a bubblewrap sandbox (Linux): the executor for code a model wrote.

    Args:
        timeout: Seconds a block may run (wall clock); the CPU-time limit defaults to it as well.
        work_dir: The host directory shown as ``/workspace``; a temporary directory if None.
        functions: Functions the code can import from ``functions_module``; their packages must
            already be installed in the Python the sandbox runs (there is no network to install them).
        functions_module: The module name the functions are written to.
        cleanup_temp_files: Delete each block's file after the call.
        virtual_env_context: Run Python from this virtual environment (mounted read-only).
        limits: CPU, memory, process, file-size, open-file, output and /tmp limits.
        environment: The only variables the code sees besides PATH, HOME, LANG and TMPDIR.
        read_only_paths: More host paths to show read-only at the same place (data, a package tree).
        python: The interpreter to run Python with. By default the one running this program, with the
            standard library only: neither its virtual environment's packages nor the base
            installation's site-packages are shown.

    Raises:
        SandboxUnavailableError: bubblewrap (or util-linux's prlimit / setpriv) is not installed.

    Example:
        >>> import asyncio
        >>> from flowgen.code_executors import CodeBlock
        >>> from flowgen.core import CancellationToken
        >>> async def main() -> str:
        ...     async with SandboxedCodeExecutor(timeout=10) as executor:
        ...         code = "import os; print(os.getuid(), 'OPENAI_API_KEY' in os.environ)"
        ...         result = await executor.execute_code_blocks(
        ...             [CodeBlock(code=code, language="python")], CancellationToken()
        ...         )
        ...     return result.output
        >>> asyncio.run(main())
        '64999 False\\n'
    """

    isolates_code: ClassVar[bool] = True

    def __init__(
        self,
        timeout: float = 60,
        work_dir: Path | str | None = None,
        functions: Sequence[AnyFunction] = (),
        functions_module: str = "functions",
        cleanup_temp_files: bool = True,
        virtual_env_context: SimpleNamespace | None = None,
        *,
        limits: ResourceLimits | None = None,
        environment: Mapping[str, str] | None = None,
        read_only_paths: Sequence[Path | str] = (),
        python: Path | str | None = None,
    ) -> None:
        self._limits = limits or ResourceLimits()
        super().__init__(
            timeout=timeout,
            work_dir=work_dir,
            functions=functions,
            functions_module=functions_module,
            cleanup_temp_files=cleanup_temp_files,
            max_output_bytes=self._limits.max_output_bytes,
        )
        self._tools = _find_tools()
        self._virtual_env_context = virtual_env_context
        self._environment = dict(environment or {})
        self._read_only_paths = [Path(p).resolve() for p in read_only_paths]
        self._python = _interpreter(python, virtual_env_context)
        self._hidden_site_packages = _base_site_packages() if python is None else []
        self._sandbox_works = False

    @property
    def limits(self) -> ResourceLimits:
        return self._limits

    @property
    def python(self) -> str:
        """The interpreter Python blocks run with, inside the sandbox."""
        return self._python

    async def start(self) -> None:
        await super().start()
        self._own_work_dir()
        await self._check_sandbox()

    async def _check_sandbox(self) -> None:
        """Start one empty sandbox, once: a kernel that forbids namespaces fails here, clearly."""
        if self._sandbox_works:
            return
        run = await run_process(
            [*self.sandbox_command(), "/bin/true"],
            cwd=self.work_dir,
            env={},
            time_limit=30,
            max_output_bytes=65536,
            cancellation_token=CancellationToken(),
        )
        if run.exit_code != 0:
            said = (run.stderr + run.stdout).decode(errors="replace").strip()
            raise SandboxUnavailableError(
                f"bubblewrap is installed but cannot create a sandbox here ({said or f'exit code {run.exit_code}'}): "
                "it needs user namespaces (sysctl kernel.unprivileged_userns_clone=1, or "
                "kernel.apparmor_restrict_unprivileged_userns=0 on Ubuntu) or, as root, CAP_SYS_ADMIN "
                "(in a container: --privileged or a seccomp profile allowing unshare)"
            )
        self._sandbox_works = True

    def _own_work_dir(self) -> None:
        # The sandbox's user must be able to write its work dir; only root can hand it over.
        if os.geteuid() == 0:
            os.chown(self.work_dir, SANDBOX_UID, SANDBOX_UID)

    async def _install_packages(self, cancellation_token: CancellationToken) -> None:
        """Nothing to do: with no network, the packages must already be where the code runs."""

    async def _set_up_functions(self, cancellation_token: CancellationToken) -> None:
        try:
            await super()._set_up_functions(cancellation_token)
        except CodeFunctionsError as e:
            packages = required_packages(self._functions)
            if packages:
                e.add_note(
                    f"the sandbox has no network to install {', '.join(packages)}: install them into a "
                    "virtual environment and pass it as virtual_env_context"
                )
            raise

    async def _run_file(self, language: str, path: Path, cancellation_token: CancellationToken) -> ProcessRun:
        self._own_work_dir()
        await self._check_sandbox()
        inside = f"{WORKSPACE}/{path.relative_to(self.work_dir).as_posix()}"
        program = self._python if language == "python" else language
        run = await run_process(
            [*self.sandbox_command(), program, inside],
            cwd=self.work_dir,
            env={},
            time_limit=self._timeout,
            max_output_bytes=self._limits.max_output_bytes,
            cancellation_token=cancellation_token,
        )
        if run.signal is None and 128 < run.exit_code < 128 + signal.NSIG:
            # bwrap reports its program's death by signal n as exit code 128 + n, as a shell does.
            run = dataclasses.replace(run, signal=run.exit_code - 128)
        return run

    def sandbox_command(self) -> list[str]:
        """The command that runs a program (appended to it) in this executor's sandbox."""
        bwrap, prlimit, setpriv = self._tools
        as_root = os.geteuid() == 0
        argv = [bwrap, *self._mounts(), *_namespaces(as_root), *self._environment_args()]
        argv += ["--", prlimit, *self._rlimits(as_root), "--"]
        if as_root:
            argv += [
                setpriv,
                f"--reuid={SANDBOX_UID}",
                f"--regid={SANDBOX_UID}",
                "--clear-groups",
                "--bounding-set=-all",
                "--inh-caps=-all",
                "--no-new-privs",
                "--",
            ]
        return argv

    def _mounts(self) -> list[str]:
        args = ["--ro-bind", "/usr", "/usr"]
        for name in ("bin", "lib", "lib64", "lib32", "sbin"):
            top = Path("/") / name
            if top.is_symlink():
                args += ["--symlink", os.readlink(top), str(top)]
            elif top.is_dir():
                args += ["--ro-bind", str(top), str(top)]
        for name in _ETC_FILES:
            if (Path("/etc") / name).exists():
                args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        args += ["--proc", "/proc", "--dev", "/dev"]
        # The private /tmp first: a tree below the host's /tmp (a virtual environment) is shown over it.
        args += ["--perms", "1777", "--size", str(self._limits.tmp_bytes), "--tmpfs", "/tmp"]
        made: set[Path] = {Path("/tmp")}
        for extra in self._python_trees() + self._read_only_paths:
            # The sandbox user must be able to walk down to the tree (bwrap copies a 0700 /root).
            for parent in reversed(extra.parents[:-1]):
                if parent not in made and not parent.is_relative_to("/usr"):
                    made.add(parent)
                    args += ["--perms", "0755", "--dir", str(parent)]
            made.add(extra)
            args += ["--ro-bind", str(extra), str(extra)]
        for hidden in self._hidden_site_packages:
            # The host interpreter's own third-party packages (and their start-up hooks) stay out.
            args += ["--perms", "0755", "--tmpfs", str(hidden)]
        args += ["--bind", str(self.work_dir.resolve()), WORKSPACE, "--chdir", WORKSPACE]
        return [*args, "--remount-ro", "/"]

    def _python_trees(self) -> list[Path]:
        trees = [Path(self._python).resolve().parent.parent]
        if self._hidden_site_packages or self._virtual_env_context is not None:
            trees.append(Path(sys.base_prefix).resolve())  # the standard library of the base interpreter
        if self._virtual_env_context is not None:
            trees.append(Path(self._virtual_env_context.env_dir).absolute())
        # Every directory a symlink on the way to the interpreter passes through (a virtual
        # environment's python may link to another environment's, which links to the real one).
        trees += _symlink_hops(Path(self._python))
        unique = {t for t in trees if not t.is_relative_to("/usr") and t != Path("/")}
        # A tree inside another already shown is shown with it.
        return sorted(t for t in unique if not any(t != u and t.is_relative_to(u) for u in unique))

    def _environment_args(self) -> list[str]:
        env = {"PATH": _SANDBOX_PATH, "HOME": WORKSPACE, "LANG": "C.UTF-8", "TMPDIR": "/tmp"}
        if self._virtual_env_context is not None:
            env["PATH"] = f"{Path(self._virtual_env_context.bin_path).resolve()}:{_SANDBOX_PATH}"
            env["VIRTUAL_ENV"] = str(Path(self._virtual_env_context.env_dir).resolve())
        env.update(self._environment)
        args = ["--clearenv"]
        for name, value in env.items():
            args += ["--setenv", name, value]
        return args

    def _rlimits(self, as_root: bool) -> list[str]:
        limits = self._limits
        cpu = limits.cpu_seconds or math.ceil(self._timeout)
        # The process limit counts the user's processes machine-wide: as root the sandbox user is
        # SANDBOX_UID, otherwise it is this user, whose processes already running must not count against it.
        nproc = limits.max_processes + (0 if as_root else _processes_of(os.getuid()))
        return [
            # The hard limit one second later: at the soft limit the code gets SIGXCPU, which says why.
            f"--cpu={cpu}:{cpu + 1}",
            f"--as={limits.memory_bytes}",
            f"--nproc={nproc}",
            f"--fsize={limits.max_file_bytes}",
            f"--nofile={limits.max_open_files}",
            "--core=0",
        ]


def _namespaces(as_root: bool) -> list[str]:
    args = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    args += ["--hostname", "sandbox", "--die-with-parent", "--new-session"]
    if not as_root:
        args += ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID), "--cap-drop", "ALL"]
    return args


def _find_tools() -> tuple[str, str, str]:
    bwrap = find_bwrap()
    if bwrap is None:
        raise SandboxUnavailableError(f"SandboxedCodeExecutor needs bubblewrap (`bwrap`): {INSTALL_HINT}")
    prlimit, setpriv = shutil.which("prlimit"), shutil.which("setpriv")
    if prlimit is None or setpriv is None:
        raise SandboxUnavailableError(
            "SandboxedCodeExecutor needs `prlimit` and `setpriv`: install the 'util-linux' package"
        )
    return bwrap, prlimit, setpriv


def _interpreter(python: Path | str | None, venv: SimpleNamespace | None) -> str:
    if python is not None:
        return str(Path(python).resolve())
    if venv is not None:
        return str(Path(venv.env_exe).absolute())
    # The base interpreter, not a virtual environment's: the host's installed packages stay outside.
    base = getattr(sys, "_base_executable", sys.executable)
    return str(Path(base).resolve())


def _symlink_hops(path: Path) -> list[Path]:
    hops: list[Path] = []
    for _ in range(40):  # the kernel's own bound on symlink chains
        if not path.is_symlink():
            break
        target = path.parent / os.readlink(path)
        hops.append(target.parent.resolve())
        path = target.parent.resolve() / target.name
    return hops


def _base_site_packages() -> list[Path]:
    """The base interpreter's site-packages directories (its third-party packages), where they exist."""
    found = set()
    for key in ("purelib", "platlib"):
        path = sysconfig.get_path(key, vars={"base": sys.base_prefix, "platbase": sys.base_exec_prefix})
        if Path(path).is_dir():
            found.add(Path(path).resolve())
    return sorted(found)


def _processes_of(uid: int) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                count += entry.stat().st_uid == uid
            except OSError:
                continue
    return count
