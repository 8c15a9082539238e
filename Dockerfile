# flowgen serve in a container: the served teams over HTTP, settings from FLOWGEN_* variables.
#
#   docker build -t flowgen-server .
#   docker run -p 8123:8123 -e FLOWGEN_API_KEYS=change-me flowgen-server                 # the demo team
#   docker run -p 8123:8123 -e FLOWGEN_API_KEYS=change-me -v $PWD/teams:/app/teams:ro \
#       flowgen-server teams/my_team.py --model openai:gpt-4o-mini                      # your own files
#
# The arguments are those of `flowgen serve` (the files to serve, then flags); every other setting
# comes from FLOWGEN_* variables (flowgen.server.ServerSettings). The server listens on 0.0.0.0, so
# it refuses to start without FLOWGEN_API_KEYS. Threads are kept in /data/runs.db (a volume) unless
# FLOWGEN_STORE names another store.

FROM python:3.11-slim AS wheel
WORKDIR /src
COPY pyproject.toml README.md ./
COPY flowgen ./flowgen
COPY visualize ./visualize
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
# Graphviz draws the graphs (SVG); bubblewrap is the sandbox SandboxedCodeExecutor runs model-written
# code in (it needs user namespaces from the container runtime).
RUN apt-get update \
    && apt-get install -y --no-install-recommends graphviz bubblewrap \
    && rm -rf /var/lib/apt/lists/*
COPY --from=wheel /wheels /wheels
RUN pip install --no-cache-dir "$(ls /wheels/flowgen-*.whl)[server,postgres,telemetry,yaml]" \
    && rm -rf /wheels
# A numeric user, so Kubernetes' runAsNonRoot can check it; it owns only the data directory.
RUN useradd --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin flowgen \
    && mkdir -p /data \
    && chown 10001:10001 /data
WORKDIR /app
COPY graphs ./graphs
ENV FLOWGEN_HOST=0.0.0.0 \
    FLOWGEN_PORT=8123 \
    FLOWGEN_STORE=/data/runs.db \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8123
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('FLOWGEN_PORT', '8123') + '/health', timeout=4)"]
ENTRYPOINT ["flowgen", "serve"]
CMD ["graphs/support_swarm.py", "graphs/write_review.py"]
