// app.js: start-up and hash routing (#/images, #/images/NAME, #/backups,
// #/targets). Each page module exports mount(root, params), which returns
// the function that tears the page down.
import * as live from './live.js';
import * as images from './images.js';
import * as detail from './image-detail.js';
import * as backups from './backups.js';
import * as targets from './targets.js';

const routes = [
  { re: /^#\/images\/([^?]+)/, page: detail, nav: 'images', title: (m) => decodeURIComponent(m[1]), params: (m) => ({ name: decodeURIComponent(m[1]) }) },
  { re: /^#\/images\/?(\?.*)?$/, page: images, nav: 'images', title: () => 'Backing images' },
  { re: /^#\/backups\/?(\?.*)?$/, page: backups, nav: 'backups', title: () => 'Backups' },
  { re: /^#\/targets\/?(\?.*)?$/, page: targets, nav: 'targets', title: () => 'Backup targets' },
];

let teardown = null;
let current = '';

function route() {
  const hash = location.hash || '#/images';
  const r = routes.find((x) => x.re.test(hash));
  if (!r) {
    location.replace('#/images');
    return;
  }
  const m = hash.match(r.re);
  if (hash === current) return;
  current = hash;
  teardown?.();
  const old = document.getElementById('main');
  const main = old.cloneNode(false); // a fresh node drops the old page's listeners
  old.replaceWith(main);
  document.querySelectorAll('[data-nav]').forEach((a) => {
    if (a.dataset.nav === r.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  document.title = `${r.title(m)} · plinth`;
  teardown = r.page.mount(main, r.params ? r.params(m) : {});
  main.focus({ preventScroll: true });
}

function liveStatus(state) {
  const el = document.getElementById('live');
  el.dataset.state = state;
  el.textContent = state === 'live' ? 'Live' : 'Reconnecting…';
  el.title = state === 'live' ? 'Receiving live updates from the server' : 'Lost the connection to the server; retrying';
}

window.addEventListener('hashchange', route);
live.refreshAll();
live.connect(liveStatus);
route();
