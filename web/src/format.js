// Times as the park reads them (Asia/Shanghai), whatever the device's own zone.

const FMT = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
});

/** An ISO string, a Date or epoch seconds, as "2026-11-26 22:05:03" in Shanghai time. */
export function shanghaiTime(value) {
  if (value === null || value === undefined || value === '') return '';
  const d = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  const p = Object.fromEntries(FMT.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour === '24' ? '00' : p.hour}:${p.minute}:${p.second}`;
}

/** Shanghai local "YYYY-MM-DDTHH:mm" for a datetime-local input, and back to an ISO instant. */
export function toLocalInput(date) {
  return shanghaiTime(date).replace(' ', 'T').slice(0, 16);
}

export function fromLocalInput(value) {
  return new Date(`${value}:00+08:00`).toISOString();
}

export function metres(m) {
  return m >= 1000 ? `${(m / 1000).toFixed(2)} km` : `${Math.round(m)} m`;
}

/** A spreadsheet cell's text (CSV): a text starting with = + - @ (or their full-width forms), a tab or a carriage
 * return would be a formula to Excel and WPS, so it gets a leading apostrophe (OWASP), as the server's files do. */
export function csvCell(v) {
  let s = v === null || v === undefined ? '' : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows as CSV text with a byte-order mark (spreadsheets then read it as UTF-8). */
export function csvText(rows) {
  return `\ufeff${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

/** A link a page may open: http(s) only; javascript:, data:, file: and the rest are shown as text, never linked. */
export function safeHref(url) {
  try {
    const u = new URL(String(url));
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** Text for an element: never HTML (names come from enterprises' reports). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') Object.assign(node.dataset, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}
