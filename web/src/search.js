// The search box: name, ID, chip, QR or enterprise code (GET /api/search); choosing a result flies to it.

import { getJSON } from './api.js';
import { t } from './i18n.js';
import { el } from './format.js';

// Kinds of results that are not subjects (whose kinds are the vocabulary's), in the page's words.
const KIND_WORD = { enterprise: 'enterprise', zone: 'zone', permit: 'permit', site: 'sites', equipment: 'equipment', region: 'region', maintenance_unit: 'eqKeeper' };

export function searchBox(form, input, list, vocab, onPick) {
  const kindLabel = (kind) => (KIND_WORD[kind] ? t(KIND_WORD[kind]) : vocab.label('subject_kind', kind));
  input.placeholder = t('search');
  let timer = null;
  let seq = 0;
  const run = async () => {
    const q = input.value.trim();
    if (q.length < 2) { list.hidden = true; return; }
    const mine = ++seq;
    const body = await getJSON('/api/search', { q, limit: 12 }).catch(() => ({ results: [] }));
    if (mine !== seq) return; // a newer query is on its way
    list.replaceChildren(...(body.results.length ? body.results.map((r) => el('li', {},
      el('button', { type: 'button', 'data-kind': r.kind, 'data-id': r.id, onclick: () => { list.hidden = true; onPick(r); } },
        el('span', { class: 'kind' }, kindLabel(r.kind)), ` ${r.name} `, el('small', {}, r.code || ''))))
      : [el('li', { class: 'empty' }, t('noResults'))]));
    list.hidden = false;
  };
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 250); });
  form.addEventListener('submit', (e) => { e.preventDefault(); clearTimeout(timer); run(); });
  document.addEventListener('click', (e) => { if (!form.contains(e.target)) list.hidden = true; });
}
