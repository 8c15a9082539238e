// Calls to the flowgen API from the pages: the key the user typed (this tab only), JSON errors as ApiError.
const KEY_STORE = "flowgen.apiKey";

function meta(name) {
  const el = document.querySelector(`meta[name="${name}"]`);
  return el ? el.getAttribute("content") : "";
}

export const authOn = meta("flowgen-auth") !== "off";
const keyHeader = meta("flowgen-api-key-header") || "X-API-Key";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function apiKey() {
  return sessionStorage.getItem(KEY_STORE) || "";
}

export function headers(extra = {}) {
  const out = { ...extra };
  if (authOn && apiKey()) out[keyHeader] = apiKey();
  return out;
}

async function refusal(response) {
  let code = "http_" + response.status;
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && body.error) ({ code, message } = body.error);
  } catch (_) { /* not JSON: keep the status line */ }
  if (response.status === 401) message += " — enter your API key at the top right";
  return new ApiError(response.status, code, message);
}

// fetch() with the key; a refusal becomes an ApiError carrying the server's code and message.
export async function call(path, { method = "GET", body, accept, signal, extraHeaders } = {}) {
  const h = headers(extraHeaders);
  if (body !== undefined) h["Content-Type"] = "application/json";
  if (accept) h["Accept"] = accept;
  const response = await fetch(path, {
    method, headers: h, signal, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await refusal(response);
  return response;
}

export async function json(path, options) {
  const response = await call(path, options);
  return response.status === 204 ? null : response.json();
}

// The key form in the header bar: hidden when the server runs without keys.
export function keyForm(onChange) {
  const form = document.getElementById("key-form");
  const input = document.getElementById("api-key");
  if (!authOn || !form) return;
  form.hidden = false;
  input.value = apiKey();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_STORE, input.value.trim());
    onChange();
  });
}

// True when the page may call the API: the server needs no key, or the user gave one.
export function mayCall() {
  if (authOn && !apiKey()) {
    notice("This server needs an API key: enter yours at the top right (it stays in this tab only).");
    return false;
  }
  return true;
}

export function notice(text) {
  const el = document.getElementById("notice");
  if (!el) return;
  el.textContent = text || "";
  el.hidden = !text;
}
