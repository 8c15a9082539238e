// /ui/threads/{id}: the thread's graph with its run drawn live (step / node / interrupt events), messages,
// steps, token usage, and an input box when the run waits for a person (answered with `resume`).
import { ApiError, call, json, keyForm, mayCall, notice } from "./api.js";
import { readEvents } from "./sse.js";
import { GraphView, Messages, renderSteps, renderUsage } from "./views.js";

const PENDING = "flowgen.pendingTask.";
const REJOINS = 5;
const $ = (id) => document.getElementById(id);
const threadId = decodeURIComponent(location.pathname.split("/").pop());
const base = `/threads/${encodeURIComponent(threadId)}`;

const graph = new GraphView($("graph-figure"));
const messages = new Messages($("message-list"), $("message-count"));
const steps = new Map(); // step number -> {nodes, next}
let agent = "";
let running = false;
let busy = false; // the stored thread has a run going (started elsewhere)

function say(error) {
  notice(error instanceof ApiError ? error.message : String(error && error.message ? error.message : error));
}

function setStatus(status) {
  const badge = $("thread-status");
  badge.textContent = status;
  badge.dataset.status = status;
}

function controls() {
  const waiting = !$("human").hidden;
  $("run-start").disabled = running || waiting || busy;
  $("resume-send").disabled = running;
}

// An interrupt as the contract sends it ({kind, nodes, request}), or a checkpoint's "before:<node>".
function asInterrupt(raw) {
  if (!raw) return null;
  if (typeof raw === "string") {
    const [kind, ...rest] = raw.split(":");
    return { kind, nodes: rest.length ? [rest.join(":")] : [], request: null };
  }
  return { kind: raw.kind || "before", nodes: raw.nodes || [], request: raw.request ?? null };
}

function waitFor(raw) {
  const interrupt = asInterrupt(raw);
  graph.clear("fg-waiting");
  $("human").hidden = !interrupt;
  if (interrupt) {
    const where = interrupt.nodes.length ? ` ${interrupt.kind} ${interrupt.nodes.join(", ")}` : "";
    const asked = interrupt.request;
    const said = asked == null ? "" : typeof asked === "string" ? asked : asked.message || JSON.stringify(asked);
    const request = said ? ` — ${said}` : "";
    $("human-prompt").textContent = `Paused${where}${request}. Answer to continue the run.`;
    for (const node of interrupt.nodes) graph.mark(node, "fg-waiting");
  }
  controls();
}

function redraw() {
  renderSteps($("lanes"), $("step-list"), steps);
  renderUsage($("usage-rows"), messages.items);
}

// The stored thread (messages, steps from its history, whether it waits), merged into what is shown.
async function refresh() {
  const thread = await json(base);
  const { checkpoints } = await json(`${base}/history?limit=200`);
  for (const message of thread.messages) messages.add(message);
  graph.clear("fg-running");
  for (const checkpoint of [...checkpoints].reverse()) {
    if (!checkpoint.ran.length) continue;
    steps.set(checkpoint.step, { nodes: checkpoint.ran, next: checkpoint.frontier });
    for (const node of checkpoint.ran) if (graph.marks.get(node) !== "fg-error") graph.mark(node, "fg-done");
  }
  const head = checkpoints[0];
  const interrupt = thread.interrupt || (head && head.interrupt) || null;
  graph.setNext(interrupt && head ? head.frontier : []);
  redraw();
  busy = thread.status === "busy";
  setStatus(thread.status === "idle" && interrupt ? "interrupted" : thread.status);
  waitFor(busy ? null : interrupt); // a run going on may be the answer already
  return thread;
}

function onEvent(kind, data, run) {
  switch (kind) {
    case "metadata":
      run.id = data.run_id;
      break;
    case "message":
    case "event":
      // Streamed tokens arrive again as the message they make up: the timeline shows that once.
      if (data.type === "ModelClientStreamingChunkEvent") break;
      if (messages.add(data, kind === "event")) renderUsage($("usage-rows"), messages.items);
      break;
    case "node":
      if (data.status === "start") graph.upcoming.delete(data.node);
      graph.mark(data.node, { start: "fg-running", end: "fg-done", error: "fg-error" }[data.status] || "fg-done");
      break;
    case "step":
      steps.set(data.step, { nodes: data.nodes, next: data.next });
      for (const node of data.nodes) if (graph.marks.get(node) !== "fg-error") graph.mark(node, "fg-done");
      graph.setNext(data.next);
      redraw();
      break;
    case "interrupt":
      waitFor(data);
      break;
    case "end":
      run.ended = true;
      graph.clear("fg-running");
      if (data.status !== "interrupted") graph.setNext([]);
      setStatus(data.status === "success" || !data.status ? "idle" : data.status);
      break;
    case "error":
      run.ended = true;
      graph.setNext([]);
      setStatus("error");
      notice(data.message);
      break;
  }
}

async function follow(response) {
  const run = { id: null, last: null, ended: false };
  for (let attempt = 0; ; attempt++) {
    try {
      for await (const event of readEvents(response)) {
        if (event.id) run.last = event.id;
        onEvent(event.event, JSON.parse(event.data), run);
      }
    } catch (error) {
      if (!(error instanceof TypeError)) throw error; // TypeError: the connection broke; rejoin below
    }
    if (run.ended || !run.id || attempt >= REJOINS) break;
    // Rejoin the run where the stream broke: the server replays every event after the last one seen.
    await new Promise((resolve) => setTimeout(resolve, 300 * (attempt + 1)));
    const extraHeaders = run.last ? { "Last-Event-ID": run.last } : {};
    response = await call(`${base}/runs/${encodeURIComponent(run.id)}/stream`, { accept: "text/event-stream", extraHeaders });
  }
  if (!run.ended) notice("The stream closed before the run ended; reload the page to see where it got to.");
}

async function startRun(body) {
  if (running) return;
  running = true;
  notice("");
  waitFor(null);
  setStatus("running");
  try {
    // A reload or a closed tab must not cancel the run: it goes on, and the page rejoins it.
    const response = await call(`${base}/runs/stream`, {
      method: "POST", body: { agent, on_disconnect: "continue", ...body }, accept: "text/event-stream",
    });
    await follow(response);
  } catch (error) {
    say(error);
  } finally {
    running = false;
    controls();
    try { await refresh(); } catch (error) { say(error); }
  }
}

// A run already going (started elsewhere, or before a reload): follow it from its first event.
async function joinRunning() {
  let runs = null;
  try {
    ({ runs } = await json(`${base}/runs`));
  } catch (error) {
    if (!(error instanceof ApiError)) throw error; // a server without the runs list: watch the thread
  }
  const live = runs && runs.find((r) => r.status === "running" || r.status === "pending");
  if (!live) {
    watchUntilIdle();
    return;
  }
  running = true;
  controls();
  try {
    await follow(await call(`${base}/runs/${encodeURIComponent(live.run_id)}/stream`, { accept: "text/event-stream" }));
  } finally {
    running = false;
    await refresh();
  }
}

// Without a run stream to follow, look at the thread again every 2 s until its run is over.
function watchUntilIdle() {
  notice("A run is in progress on this thread; the page shows it when it ends.");
  setTimeout(async () => {
    try {
      const thread = await refresh();
      if (thread.status === "busy") watchUntilIdle();
      else notice("");
    } catch (error) {
      say(error);
    }
  }, 2000);
}

// A checkbox per agent node: the run stops before the checked ones (interrupt_before) for a person.
async function showPauses() {
  const { nodes } = await json(`/agents/${encodeURIComponent(agent)}/graph`);
  $("pause-nodes").replaceChildren(...nodes.filter((n) => n.kind === "agent").map((n) => {
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = n.name;
    const label = document.createElement("label");
    label.append(box, n.name);
    return label;
  }));
}

function pauses() {
  const chosen = [...document.querySelectorAll("#pause-nodes input:checked")].map((box) => box.value);
  return chosen.length ? { interrupt_before: chosen } : {};
}

async function showGraph() {
  showPauses().catch(say);
  try {
    const response = await call(`/agents/${encodeURIComponent(agent)}/graph.svg`);
    graph.show(await response.text());
  } catch (error) {
    graph.failed(error instanceof ApiError ? error.message : String(error));
  }
}

// The agent whose graph to draw: the page's ?agent=, the one just started, the thread's metadata, the
// agent of its latest run, else the first served.
async function chooseAgent(pending, thread) {
  const { agents } = await json("/agents");
  const names = agents.map((a) => a.name);
  const candidates = [new URLSearchParams(location.search).get("agent"), pending && pending.agent];
  candidates.push(thread.metadata && thread.metadata.agent);
  if (!candidates.some((name) => names.includes(name))) candidates.push(await latestRunAgent());
  agent = candidates.find((name) => names.includes(name)) || names[0];
  $("agent").replaceChildren(...names.map((name) => {
    const option = document.createElement("option");
    option.value = option.textContent = name;
    option.selected = name === agent;
    return option;
  }));
}

async function latestRunAgent() {
  try {
    const { runs } = await json(`${base}/runs`);
    return runs.length ? runs[0].agent : null;
  } catch (error) {
    return null; // a server without the runs list: fall back to the first agent
  }
}

function selectStep(target) {
  const number = Number(target.dataset.step);
  const step = steps.get(number);
  if (!step) return;
  for (const old of document.querySelectorAll(".selected")) old.classList.remove("selected");
  for (const same of document.querySelectorAll(`[data-step="${number}"]`)) same.classList.add("selected");
  graph.highlight(step.nodes);
  $("fg-selected").textContent = `step ${number}: ${step.nodes.join(", ")}`;
}

async function load() {
  $("thread-id").textContent = threadId;
  const pendingText = sessionStorage.getItem(PENDING + threadId);
  sessionStorage.removeItem(PENDING + threadId);
  const pending = pendingText ? JSON.parse(pendingText) : null;
  if (!mayCall()) {
    setStatus("no key");
    return;
  }
  try {
    await chooseAgent(pending, await json(base));
    await showGraph();
    const thread = await refresh();
    if (pending) await startRun({ input: pending.input });
    else if (thread.status === "busy") await joinRunning();
  } catch (error) {
    setStatus("error");
    say(error);
  }
}

keyForm(() => location.reload());
$("agent").addEventListener("change", (event) => {
  agent = event.target.value;
  const url = new URL(location.href);
  url.searchParams.set("agent", agent);
  history.replaceState(null, "", url);
  showGraph();
});
$("run-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const task = $("task").value.trim();
  $("task").value = "";
  startRun({ ...(task ? { input: task } : {}), ...pauses() });
});
$("resume-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const answer = $("resume-input").value;
  $("resume-input").value = "";
  startRun({ resume: answer });
});
document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target.closest("#timeline [data-step]") : null;
  if (target) selectStep(target);
});
load();
