// Group calls from the map (VID-3), on both pages: start one with what was selected (a drawn area's people, body
// cameras and cameras, or one card at a time), add or remove a party while it is open, end it. Every step is the
// service's (POST /api/calls ..., which tells the fusion-communication platform); without a platform the buttons
// are off and say why.

import { ApiError, getJSON, postJSON, sendJSON } from './api.js';
import { el, shanghaiTime } from './format.js';
import { t } from './i18n.js';

export class CallPanel {
  constructor(panel, { enabled }) {
    this.panel = panel;
    this.enabled = enabled;
    this.call = null;
    this.note = el('p', { class: 'note', role: 'status' });
    getJSON('/api/calls', { status: 'open' }).then((b) => { if (b.calls[0]) this.show(b.calls[0]); }).catch(() => null);
  }

  /** A button that starts a call with `members` (or adds them to the open one); off, with the reason, without a
   * platform. */
  button(members, selection = null, label = null) {
    const b = el('button', { type: 'button', class: 'action', 'data-call': 'start',
      onclick: () => (this.call ? this.add(members) : this.start(members, selection)) }, label || (this.call ? t('callAdd') : t('callStart')));
    if (!this.enabled) {
      b.disabled = true;
      b.title = t('callNoPlatform');
      return el('span', { class: 'call-off' }, b, el('small', { class: 'note' }, t('callNoPlatform')));
    }
    return b;
  }

  async start(members, selection) {
    await this.send(() => postJSON('/api/calls', { members, ...(selection ? { selection } : {}) }));
  }

  async add(members) {
    await this.send(() => postJSON(`/api/calls/${this.call.id}/members`, { members }));
  }

  async remove(memberId) {
    await this.send(() => sendJSON('DELETE', `/api/calls/${this.call.id}/members/${memberId}`));
  }

  async end() {
    await this.send(() => postJSON(`/api/calls/${this.call.id}/end`));
  }

  async send(request) {
    try {
      this.show(await request());
    } catch (err) {
      // 400: a party that cannot be called (the reason names it); 502: the platform refused; 503: none configured.
      this.panel.hidden = false;
      this.note.textContent = err instanceof ApiError ? (err.body?.reason || err.message) : String(err.message || err);
      if (!this.panel.contains(this.note)) this.panel.append(this.note);
    }
  }

  show(call) {
    this.call = call.status === 'open' ? call : null;
    this.panel.hidden = false;
    this.panel.dataset.call = call.id;
    this.panel.dataset.status = call.status;
    this.note.textContent = call.status === 'open' ? '' : t(`call_${call.status}`);
    const present = call.members.filter((m) => !m.removed_at);
    this.panel.replaceChildren(
      el('header', {}, el('h2', {}, `${t('groupCall')} · ${shanghaiTime(call.started_at).slice(11)}`),
        el('button', { type: 'button', class: 'icon-button', 'aria-label': t('closeDetails'), onclick: () => { this.panel.hidden = true; } }, '×')),
      el('ul', { class: 'call-members' }, present.map((m) => el('li', { 'data-member': m.id, 'data-name': m.name },
        el('span', {}, m.name), el('small', {}, ` ${m.address.phone || m.address.sip || m.address.terminal || ''} `),
        this.call ? el('button', { type: 'button', class: 'icon-button', 'aria-label': t('callRemove'), 'data-remove': m.id, onclick: () => this.remove(m.id) }, '×') : null))),
      this.call ? el('button', { type: 'button', class: 'action', 'data-call': 'end', onclick: () => this.end() }, t('callEnd')) : null,
      this.note);
  }

  describe() {
    return this.call ? { id: this.call.id, status: this.call.status, members: this.call.members.filter((m) => !m.removed_at).map((m) => m.name) }
      : { id: null, status: this.panel.dataset.status ?? null, members: [] };
  }
}
