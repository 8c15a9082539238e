// The thread page's pieces, in the HTML report's markup so report.css styles them alike:
// messages (details.msg), token usage (table), the step timeline (lanes and step buttons), the graph.

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

function contentText(item) {
  const content = item.content;
  if (typeof content === "string") return content;
  return JSON.stringify(content, null, 2);
}

function oneLine(text, limit) {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= limit ? flat : flat.slice(0, limit - 1) + "…";
}

// The message timeline: chat messages and (live) inner events, each once (by id).
export class Messages {
  constructor(list, count) {
    this.list = list;
    this.count = count;
    this.seen = new Set();
    this.items = [];
  }

  add(item, live = false) {
    if (item.id && this.seen.has(item.id)) return false;
    if (item.id) this.seen.add(item.id);
    const index = this.items.length;
    this.items.push(item);
    const usage = item.models_usage;
    const tokens = usage ? `${usage.prompt_tokens} + ${usage.completion_tokens}` : "";
    const full = contentText(item);
    const details = el(
      "details",
      { class: "msg" + (live ? " live-event" : ""), id: `message-${index}`, "data-source": item.source || "" },
      el("summary", {},
        el("span", { class: "idx" }, `#${index}`),
        el("span", { class: "src" }, item.source || ""),
        el("span", { class: "type" }, item.type || ""),
        el("span", { class: "text" }, oneLine(full, 100)),
        el("span", { class: "tok" }, tokens)),
      el("pre", {}, full),
    );
    this.list.append(details);
    this.count.textContent = String(this.items.length);
    return true;
  }

  reset() {
    this.list.replaceChildren();
    this.seen.clear();
    this.items = [];
    this.count.textContent = "0";
  }
}

// Tokens by agent, from the messages' models_usage.
export function renderUsage(body, items) {
  const table = new Map();
  for (const item of items) {
    const usage = item.models_usage;
    if (!usage) continue;
    const row = table.get(item.source) || [0, 0, 0];
    row[0] += usage.prompt_tokens;
    row[1] += usage.completion_tokens;
    row[2] += 1;
    table.set(item.source, row);
  }
  const rows = [...table.entries()];
  if (rows.length) {
    const total = rows.reduce((sum, [, r]) => [sum[0] + r[0], sum[1] + r[1], sum[2] + r[2]], [0, 0, 0]);
    rows.push(["total", total]);
  }
  body.replaceChildren(...rows.map(([agent, [prompt, completion, calls]], i) => el(
    "tr", i === rows.length - 1 ? { class: "total" } : {},
    el("td", {}, agent), el("td", { class: "num" }, String(calls)), el("td", { class: "num" }, String(prompt)),
    el("td", { class: "num" }, String(completion)), el("td", { class: "num" }, String(prompt + completion)),
  )));
}

// The step timeline: one lane per node, one bar per step it ran in, and a button per step.
export function renderSteps(lanes, list, steps) {
  const numbers = [...steps.keys()].sort((a, b) => a - b);
  const last = numbers.length ? numbers[numbers.length - 1] : 1;
  const names = [];
  for (const n of numbers) for (const node of steps.get(n).nodes) if (!names.includes(node)) names.push(node);
  lanes.replaceChildren(...names.map((name) => {
    const track = el("div", { class: "track" });
    for (const n of numbers) {
      if (!steps.get(n).nodes.includes(name)) continue;
      const bar = el("div", { class: "bar", "data-step": String(n), title: `${name} · step ${n}` }, String(n));
      bar.style.left = `${(100 * (n - 1)) / last}%`;
      bar.style.width = `${Math.max(100 / last, 2)}%`;
      track.append(bar);
    }
    return el("div", { class: "lane", "data-node": name }, el("div", { class: "lane-name", title: name }, name), track);
  }));
  list.replaceChildren(...numbers.map((n) => el(
    "button", { type: "button", class: "step", "data-step": String(n) },
    `step ${n}: ${steps.get(n).nodes.join(", ")}`,
  )));
}

const STATES = ["fg-running", "fg-done", "fg-next", "fg-waiting", "fg-error"];

// The graph's node groups by name (visualize puts data-node on each). A node has one state (running,
// done, waiting, error); "next" (the frontier) is kept apart, shown over "done" until the run moves on.
export class GraphView {
  constructor(figure) {
    this.figure = figure;
    this.marks = new Map();
    this.upcoming = new Set();
  }

  show(svgText) {
    const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
    const root = doc.documentElement;
    if (root.nodeName !== "svg") throw new Error("the graph is not an SVG drawing");
    this.figure.replaceChildren(document.importNode(root, true));
    this.paint();
  }

  failed(message) {
    this.figure.replaceChildren(el("p", { class: "missing" }, message));
  }

  mark(name, state) {
    this.marks.set(name, state);
    this.paint();
  }

  clear(state) {
    for (const [name, value] of this.marks) if (value === state) this.marks.delete(name);
    this.paint();
  }

  setNext(names) {
    this.upcoming = new Set(names);
    this.paint();
  }

  paint() {
    for (const group of this.figure.querySelectorAll("g[data-node]")) {
      const name = group.getAttribute("data-node");
      let state = this.marks.get(name);
      if (this.upcoming.has(name) && (!state || state === "fg-done")) state = "fg-next";
      group.classList.remove(...STATES);
      if (state) group.classList.add(state);
    }
  }

  highlight(names) {
    for (const old of this.figure.querySelectorAll(".fg-hl")) old.classList.remove("fg-hl");
    for (const group of this.figure.querySelectorAll("g[data-node]")) {
      if (names.includes(group.getAttribute("data-node"))) group.classList.add("fg-hl");
    }
  }
}
