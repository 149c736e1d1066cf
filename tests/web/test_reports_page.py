"""The report page (/reports/): its charts draw what the aggregate APIs answer (asserted on each chart's series, not
on pixels), from this server only; an enterprise's user is refused it."""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime

import pytest

from geo_core.partitions import PARK_TZ

pytestmark = pytest.mark.django_db


def api(base: str, token: str, path: str) -> dict:
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def test_the_report_page_draws_the_apis_numbers(open_page, web_scene):
    p = open_page()
    p.sign_in("web-sup")
    p.page.wait_for_url("**/map/**")
    p.page.click("[data-link=reports]")
    p.page.wait_for_url("**/reports/")
    wanted = {"startups", "alarm-types", "permit-months", "welder-mobility", "key-areas", "records"}
    p.until(f"() => {json.dumps(sorted(wanted))}.every((id) => window.__test.ready().includes(id))", 30)
    charts = p.js("() => window.__test.charts()")
    year = datetime.now(PARK_TZ).year
    months = api(p.base, web_scene["token"], f"/api/permits/months?year={year}")["months"]
    drawn = {s["name"]: s["data"] for s in charts["permit-months"]["series"]}
    hot = [m["by_operation"]["hot_work"] for m in months]
    assert sum(hot) == 2  # the scene's two permits, both hot work
    assert drawn["动火"] == hot
    assert charts["permit-months"]["categories"][0] == "1月"
    trend = api(p.base, web_scene["token"], "/api/trends/startups?days=7")
    assert [s["data"] for s in charts["startups"]["series"]] == [
        s["counts"] for s in sorted(trend["series"], key=lambda s: -sum(s["counts"]))[:8]
    ]
    # The 15-day span redraws the line with fifteen days.
    p.page.select_option("[data-days]", "15")
    p.until("() => window.__test.charts().startups.categories.length === 15")
    # Today's permit board on the page is the service's.
    p.until("() => document.querySelector('[data-permit-board] [data-board=working]')?.textContent === '2'")
    # Files of the records are offered; the search narrows the lists and their files alike.
    assert p.page.locator("[data-section=records] a[href*='f=xlsx']").count() == 2
    p.page.fill("[data-filter=enterprise]", "NOPE")
    p.page.click(".record-search button[type=submit]")
    links = "() => [...document.querySelectorAll('[data-section=records] a')].map(a => a.getAttribute('href'))"
    p.until(f"() => ({links})().filter((h) => h.includes('enterprise=NOPE')).length === 4")
    assert p.page.inner_text("[data-total=scans]") == "0"
    p.page.fill("[data-filter=region]", "999999")
    p.page.click(".record-search button[type=submit]")
    p.until("() => document.querySelector('[data-total=work]')?.textContent.includes('999999')")


def test_an_enterprise_user_is_refused_the_report_page(open_page, web_scene):
    p = open_page("web-ent-a")
    assert p.page.locator("[data-link=reports]").count() == 0
    resp = p.page.goto(p.base + "/reports/")
    assert resp.status == 403
