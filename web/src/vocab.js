// The service's vocabulary (me.vocabulary, from geo_core.vocabulary): codes with their labels and colours. The pages
// never keep their own copies of severities, statuses, person types or fence kinds: they ask here.

export class Vocabulary {
  constructor(vocabularies = {}) {
    this.v = vocabularies;
  }

  terms(name) {
    return this.v[name]?.terms ?? [];
  }

  codes(name) {
    return this.terms(name).map((t) => t.code);
  }

  term(name, code) {
    const c = code === null || code === undefined ? '' : String(code);
    return this.terms(name).find((t) => t.code === c) ?? this.v[name]?.other ?? null;
  }

  label(name, code) {
    return this.term(name, code)?.label ?? String(code ?? '');
  }

  /** The colour of a code; `wall`: the 3D wall's (dark ground) colour. */
  colour(name, code, wall = false) {
    const t = this.term(name, code);
    return (t && (wall ? t.wall : t.colour)) || '#6a737d';
  }

  /** The codes that carry a flag: 'open' alarm statuses, 'severe' severities, 'outsider' person types ... */
  flagged(name, flag) {
    return this.terms(name).filter((t) => t.flags.includes(flag)).map((t) => t.code);
  }

  /** [label, colour] pairs of a vocabulary (of some of its codes), for a legend. */
  legend(name, codes = null) {
    return this.terms(name).filter((t) => !codes || codes.includes(t.code)).map((t) => [t.label, t.colour]);
  }
}
