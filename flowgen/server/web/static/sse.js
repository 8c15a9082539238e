// Server-Sent Events over fetch(): EventSource cannot POST or send the key header, so parse the stream here.
// Yields {id, event, data} per dispatched event; comment lines (heartbeats) are skipped.

function* lines(state, chunk, final) {
  state.buffer += chunk;
  let start = 0;
  for (let i = 0; i < state.buffer.length; i++) {
    const ch = state.buffer[i];
    if (ch !== "\n" && ch !== "\r") continue;
    if (ch === "\r" && i + 1 === state.buffer.length && !final) break; // "\r\n" may be split across chunks
    yield state.buffer.slice(start, i);
    if (ch === "\r" && state.buffer[i + 1] === "\n") i++;
    start = i + 1;
  }
  state.buffer = state.buffer.slice(start);
}

export async function* readEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const state = { buffer: "" };
  let data = [];
  let id = null;
  let kind = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      const text = done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (const line of lines(state, text, done)) {
        if (line === "") {
          if (data.length) yield { id, event: kind || "message", data: data.join("\n") };
          data = [];
          kind = "";
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? "" : line.slice(colon + 1);
        if (value.startsWith(" ")) value = value.slice(1);
        if (field === "data") data.push(value);
        else if (field === "event") kind = value;
        else if (field === "id" && !value.includes("\0")) id = value;
      }
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}
