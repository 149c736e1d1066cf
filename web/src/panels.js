// The page's frame: tabs of the side panel, the panel toggle, the network state, the user and language in the bar.

import { t, switchLang } from './i18n.js';
import { el } from './format.js';

export function tabs(panel, names) {
  const nav = panel.querySelector('.tabs');
  const show = (name) => {
    for (const n of names) {
      panel.querySelector(`#tab-${n}`).hidden = n !== name;
      nav.querySelector(`[data-tab="${n}"]`).setAttribute('aria-selected', String(n === name));
    }
  };
  nav.replaceChildren(...names.map((n) => el('button', { type: 'button', role: 'tab', 'data-tab': n, onclick: () => show(n) }, t(`tab${n[0].toUpperCase()}${n.slice(1)}`))));
  show(names[0]);
  return show;
}

export function frame(me, map) {
  document.getElementById('who').textContent = `${me.username} · ${me.enterprise || me.district || ''}`;
  document.getElementById('signout').textContent = t('signout');
  const lang = document.getElementById('lang-switch');
  lang.textContent = me.lang === 'en' ? '中文' : 'English';
  lang.addEventListener('click', switchLang);
  const toggle = document.getElementById('panel-toggle');
  const panel = document.getElementById('panel');
  if (!toggle || !panel) return; // the wall has no collapsible panel
  toggle.addEventListener('click', () => {
    const open = panel.classList.toggle('collapsed') === false;
    toggle.setAttribute('aria-expanded', String(open));
    setTimeout(() => map?.resize(), 250);
  });
  if (window.matchMedia('(orientation: portrait) and (max-width: 900px)').matches) panel.classList.add('collapsed');
}

/** Online / offline / reconnecting, from the browser and the live stream. */
export function netState(feed) {
  const badge = document.getElementById('net-state');
  let stream = 'online';
  const paint = () => {
    const state = !navigator.onLine ? 'offline' : stream;
    badge.textContent = t(state);
    badge.className = `net net-${state}`;
    document.body.dataset.net = state;
  };
  feed.addEventListener('status', (e) => { stream = e.detail; paint(); });
  window.addEventListener('online', paint);
  window.addEventListener('offline', paint);
  paint();
}
