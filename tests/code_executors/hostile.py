"""Hostile code blocks and the observations the executor tests make about them.

Every block carries a fresh token, so its file name (``tmp_code_<hash>``) is unique to one test: a
process whose command line holds that name is one the block started, wherever it runs.
"""

from __future__ import annotations

import os
import socket
import textwrap
import uuid
from pathlib import Path

from flowgen.code_executors import CodeBlock, CommandLineCodeResult


def block(code: str, language: str = "python") -> CodeBlock:
    """``code`` made unique to this call (a comment holding a random token)."""
    # Python and shell both read '#' as a comment.
    return CodeBlock(code=textwrap.dedent(code).strip() + f"\n# {uuid.uuid4().hex}\n", language=language)


def processes_running(result: CommandLineCodeResult) -> list[int]:
    """The live processes whose command line names the result's code file."""
    assert result.code_file is not None
    marker = Path(result.code_file).name.encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = Path(entry.path, "cmdline").read_bytes()
            state = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def listener() -> socket.socket:
    """A TCP listener on 127.0.0.1 whose pending connections a test can poll without waiting."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    return sock


def accepted_a_connection(sock: socket.socket) -> bool:
    """True when a connection completed to ``sock`` (it sits in the accept queue once connected)."""
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


READ_FILE = "print(open({path!r}).read())"
WRITE_FILE = "open({path!r}, 'w').write('written by the block')\nprint('wrote it')"
CONNECT = "import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=5)\nprint('connected')"
READ_ENV = """
import os
print('key:', os.environ.get('OPENAI_API_KEY'))
for pid in ('1', str(os.getppid())):
    try:
        print(open(f'/proc/{pid}/environ', 'rb').read())
    except OSError as e:
        print('no environ of', pid, type(e).__name__)
"""
FORK_BOMB = """
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
"""
INFINITE_LOOP = "while True:\n    pass"
ALLOCATE_10_GB = "data = bytearray(10 * 1024**3)\nprint('allocated', len(data))"
PRINT_1_GB = "import sys\nchunk = 'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(chunk)"
BACKGROUND_CHILD = """
import subprocess, sys
subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', __file__])
print('started a background child')
"""
ESCAPING_CHILD = """
import os, subprocess, sys
subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', __file__], start_new_session=True)
print('started a child in a session of its own')
"""
KILL_PARENT = """
import os, signal
os.kill(os.getppid(), signal.SIGKILL)
print('sent SIGKILL to', os.getppid())
"""
