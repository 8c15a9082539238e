// /ui: the served agents and the caller's threads; a new thread starts on its own page (which runs the task).
import { ApiError, json, keyForm, mayCall, notice } from "./api.js";

const PENDING = "flowgen.pendingTask.";

function cell(text) {
  const td = document.createElement("td");
  td.textContent = text;
  return td;
}

async function showAgents() {
  const { agents } = await json("/agents");
  const list = document.getElementById("agent-list");
  const select = document.getElementById("start-agent");
  list.replaceChildren();
  select.replaceChildren();
  for (const agent of agents) {
    const item = document.createElement("li");
    item.textContent = `${agent.name} — ${agent.kind} of ${agent.participants.join(", ")}`;
    if (agent.description) item.title = agent.description;
    item.dataset.agent = agent.name;
    list.append(item);
    const option = document.createElement("option");
    option.value = option.textContent = agent.name;
    select.append(option);
  }
}

async function showThreads() {
  const { threads } = await json("/threads?limit=50");
  const rows = document.getElementById("thread-rows");
  rows.replaceChildren(...threads.map((thread) => {
    const row = document.createElement("tr");
    const link = document.createElement("a");
    const agent = thread.metadata && thread.metadata.agent;
    const query = typeof agent === "string" ? `?agent=${encodeURIComponent(agent)}` : "";
    link.href = `/ui/threads/${encodeURIComponent(thread.thread_id)}${query}`;
    link.textContent = thread.thread_id;
    const first = document.createElement("td");
    first.append(link);
    row.append(first, cell(thread.created_at), cell(thread.status));
    row.dataset.thread = thread.thread_id;
    return row;
  }));
  document.getElementById("no-threads").hidden = threads.length > 0;
}

async function start(event) {
  event.preventDefault();
  const agent = document.getElementById("start-agent").value;
  const task = document.getElementById("start-task").value.trim();
  try {
    const thread = await json("/threads", { method: "POST", body: {} });
    // The thread page starts the run, so its stream is drawn there from the first event.
    sessionStorage.setItem(PENDING + thread.thread_id, JSON.stringify({ agent, input: task }));
    location.assign(`/ui/threads/${encodeURIComponent(thread.thread_id)}?agent=${encodeURIComponent(agent)}`);
  } catch (error) {
    notice(error instanceof ApiError ? error.message : String(error));
  }
}

async function load() {
  notice("");
  if (!mayCall()) return;
  try {
    await showAgents();
    await showThreads();
  } catch (error) {
    notice(error instanceof ApiError ? error.message : String(error));
  }
}

keyForm(load);
document.getElementById("start-form").addEventListener("submit", start);
load();
