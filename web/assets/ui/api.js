// api.js: the only place that talks HTTP to the plinth server. Every
// failure becomes an ApiError carrying the server's own message, so the UI
// can show what the server said instead of a bare status code.

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

// errorFrom turns a non-2xx reply into an ApiError, preferring the
// envelope's message ({"type":"error","status","message"}).
function errorFrom(status, statusText, text) {
  let body = null;
  try { body = JSON.parse(text); } catch { /* not JSON: use the text below */ }
  if (body && typeof body.message === 'string' && body.message !== '') {
    return new ApiError(status, body.message, body);
  }
  const snippet = (text || '').trim().slice(0, 200);
  return new ApiError(status, `${status} ${statusText || 'error'}${snippet ? ': ' + snippet : ''}`, body);
}

// request sends one JSON request and resolves with the decoded reply
// (null for an empty one); it rejects with an ApiError.
export async function request(method, url, body) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(url, init);
  } catch (err) {
    throw new ApiError(0, `cannot reach the plinth server (${err.message}); check that it is running`);
  }
  const text = await resp.text();
  if (resp.status === 401) askForToken();
  if (!resp.ok) throw errorFrom(resp.status, resp.statusText, text);
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(resp.status, `the server sent a reply that is not JSON for ${method} ${url}`);
  }
}

// askForToken asks once for the API token of a server that requires one
// (it listens beyond loopback), keeps it in a same-site cookie, which the
// browser then sends with every request and the event stream, and reloads.
let asked = false;
function askForToken() {
  if (asked) return;
  asked = true;
  const token = window.prompt('This plinth server requires its API token (PLINTH_TOKEN). Enter it:');
  if (!token) return;
  document.cookie = `plinth_token=${encodeURIComponent(token)}; path=/; SameSite=Strict`;
  window.location.reload();
}

export const get = (url) => request('GET', url);
export const post = (url, body) => request('POST', url, body ?? {});
export const del = (url) => request('DELETE', url);

// action returns a resource's action URL, or the conventional one when the
// resource does not list it (e.g. a record from an older server).
export function action(resource, name, base) {
  return (resource.actions && resource.actions[name]) || `${base}/${encodeURIComponent(resource.name)}?action=${name}`;
}

// path builds a URL path from segments, encoding each.
export function path(...parts) {
  return '/' + parts.map((p) => encodeURIComponent(p)).join('/');
}

// upload sends file as the multipart field "chunk" with XMLHttpRequest,
// whose upload events give real progress (fetch has none). onProgress gets
// (sentBytes, totalBytes). It resolves with the decoded reply; abort()
// on the returned handle cancels it.
export function upload(url, file, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open('POST', url);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try { resolve(xhr.responseText ? JSON.parse(xhr.responseText) : null); } catch { resolve(null); }
      } else {
        reject(errorFrom(xhr.status, xhr.statusText, xhr.responseText));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'the upload was interrupted: the connection to the server failed')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'the upload was cancelled')));
    const form = new FormData();
    form.append('chunk', file, file.name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}
