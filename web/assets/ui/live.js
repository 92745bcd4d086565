// live.js: the client-side copy of the server's collections, kept current
// by the server's event stream (GET /v1/events). A change event refetches
// only the affected collection, debounced, so a burst of progress updates
// costs one request and one render.
import { get } from './api.js';

const urls = {
  backingimages: '/v1/backingimages',
  backupbackingimages: '/v1/backupbackingimages',
  backuptargets: '/v1/backuptargets',
  secrets: '/v1/secrets',
  nodes: '/v1/nodes',
  settings: '/v1/settings',
};

// DEBOUNCE_MS bounds how often one collection is refetched.
const DEBOUNCE_MS = 300;

const data = {};    // kind -> array of resources, once loaded
const errors = {};  // kind -> the server's message when the last load failed
const timers = {};
const inflight = {};
const again = {};
const listeners = new Set();

// list returns the loaded collection of kind ([] until it is loaded).
export function list(kind) { return data[kind] || []; }

// loaded reports whether kind has been fetched successfully at least once.
export function loaded(kind) { return Array.isArray(data[kind]); }

// error returns the message of the last failed load of kind, or ''.
export function error(kind) { return errors[kind] || ''; }

// find returns the resource of kind named name, or undefined.
export function find(kind, name) { return list(kind).find((r) => r.name === name); }

// subscribe calls fn(kind) after every (re)load of a collection; it
// returns the function that unsubscribes.
export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// reload fetches kind now (or right after the fetch in flight ends).
export async function reload(kind) {
  if (inflight[kind]) {
    again[kind] = true;
    return inflight[kind];
  }
  inflight[kind] = (async () => {
    try {
      const reply = await get(urls[kind]);
      data[kind] = (reply && reply.data) || [];
      delete errors[kind];
    } catch (err) {
      errors[kind] = err.message;
    } finally {
      delete inflight[kind];
    }
    listeners.forEach((fn) => fn(kind));
    if (again[kind]) {
      delete again[kind];
      reload(kind);
    }
  })();
  return inflight[kind];
}

// refresh schedules a debounced reload of kind.
export function refresh(kind) {
  if (!urls[kind] || timers[kind]) return;
  timers[kind] = setTimeout(() => {
    delete timers[kind];
    reload(kind);
  }, DEBOUNCE_MS);
}

// refreshAll reloads every collection (start-up and stream reconnects).
export function refreshAll() {
  return Promise.all(Object.keys(urls).map((k) => reload(k)));
}

// connect opens the event stream and reports its state through status
// ('live' | 'reconnecting'). EventSource reconnects by itself; every
// reopen reloads everything, since events may have been missed meanwhile.
export function connect(status) {
  const es = new EventSource('/v1/events');
  let opened = false;
  es.addEventListener('open', () => {
    status('live');
    if (opened) refreshAll();
    opened = true;
  });
  es.addEventListener('error', () => status('reconnecting'));
  es.addEventListener('change', (e) => {
    let ev;
    try { ev = JSON.parse(e.data); } catch { return; }
    if (!ev.kind) Object.keys(urls).forEach(refresh);
    else refresh(ev.kind);
  });
  return es;
}
