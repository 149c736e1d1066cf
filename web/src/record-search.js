// The report page's records search as API parameters (pure: node --test).

/** The search's query: a day's start and the next day's start in Shanghai time, the codes as typed. Pure. */
export function recordQuery({ since, until, enterprise, region }, fallbackDays = 7) {
  const day = (d) => (d ? new Date(`${d}T00:00:00+08:00`) : null);
  const end = day(until) ? new Date(day(until).getTime() + 86400_000) : new Date();
  const start = day(since) || new Date(end.getTime() - fallbackDays * 86400_000);
  return Object.fromEntries(Object.entries({ since: start.toISOString(), until: end.toISOString(), enterprise: enterprise.trim(),
    region: region.trim() }).filter(([, v]) => v));
}
