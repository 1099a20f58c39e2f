"""The automatic part of the RGAA audit (tilab/data/accessibility/audit-2026-12.csv), re-run on
every change: the 14 pages of the audit's sample, each as every role it was audited as, in
Chromium. Each test here is named in the audit file beside the criteria it checks; the manual
part of the audit is stated there as manual."""

import pytest
from django.utils import timezone

from demo.management.commands.seed_demo import DEMO_PASSWORD
from tests.e2e import conftest as e2e
from tilab.accessibility_audit import audit_sample

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOGINS = {
    "maker": "maker@demo.tilab.test",
    "relay": "relais.rennes@demo.tilab.test",
    "region": "region@demo.tilab.test",
    "facilitator": "facilitateur@demo.tilab.test",
    "auditor": "audit@demo.tilab.test",
}
SAMPLE = audit_sample()
VISITS = [(page["page"], role) for page in SAMPLE for role in page["roles"]]
PAGES = {page["page"]: page for page in SAMPLE}
# One visit per page, as the first role it was audited as (the layout checks).
FIRST_VISITS = [(page["page"], page["roles"][0]) for page in SAMPLE]
NARROW = {"width": 320, "height": 640}  # RGAA 10.11: 320 CSS pixels wide
ZOOMED = {"width": 640, "height": 450}  # a 1280 × 900 screen at 200 % (RGAA 10.4)

# WCAG 1.4.12's text spacing, forced on every element (RGAA 10.12).
TEXT_SPACING = """
* { line-height: 1.5 !important; letter-spacing: 0.12em !important;
    word-spacing: 0.16em !important; }
p { margin-bottom: 2em !important; }
"""
# Elements whose text is cut: content larger than a box that hides its overflow.
CLIPPED_TEXT = """() => {
  const cut = [];
  for (const element of document.querySelectorAll("body *")) {
    const style = getComputedStyle(element);
    if (style.display === "none" || style.visibility === "hidden") continue;
    if (!element.innerText || !element.innerText.trim()) continue;
    const hides = (o) => o === "hidden" || o === "clip";
    const box = element.getBoundingClientRect();
    if (box.width < 2 || box.height < 2) continue;  // visually hidden on purpose
    if ((hides(style.overflowX) && element.scrollWidth > element.clientWidth + 1)
        || (hides(style.overflowY) && element.scrollHeight > element.clientHeight + 1)) {
      cut.push(element.tagName.toLowerCase() + "." + element.className);
    }
  }
  return cut;
}"""
# Everything a keyboard should reach, visible on screen (a group of radio buttons is one stop:
# its ticked button, or its first), each with its look while not focused.
LOOK = """(e) => {
  const s = getComputedStyle(e);
  const shape = e.querySelector("circle, rect, path");
  const t = shape ? getComputedStyle(shape) : null;
  return [s.outlineStyle, s.outlineWidth, s.boxShadow, s.backgroundColor, s.textDecorationLine,
          t ? t.stroke + t.strokeWidth + t.fill : ""].join("|");
}"""
CONTROLS = """() => {
  const look = LOOK;
  const stop = (e) => {
    if (e.type !== "radio") return true;
    const group = [...e.form.querySelectorAll(`input[type=radio][name="${e.name}"]`)];
    return e.checked || (!group.some((r) => r.checked) && group[0] === e);
  };
  return Object.fromEntries([...document.querySelectorAll(
      "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex='0']")]
    .filter((e) => !e.disabled && e.checkVisibility({visibilityProperty: true}) && stop(e)
            && !e.closest("[inert], dialog:not([open])"))
    .map((e) => {
      e.dataset.auditId = e.dataset.auditId || String(Math.random());
      return [e.dataset.auditId, look(e)];
    }));
}""".replace("LOOK", LOOK)
# The focused element: is its focus drawn (an outline or a shadow), or does it look otherwise
# than unfocused (an SVG link whose shape changes)?
FOCUS_STYLE = """(unfocused) => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  // A date field's last stop is Chromium's own calendar button, inside the field, which draws
  // its own focus: the field itself is then not :focus.
  if (e.type === "date" && !e.matches(":focus")) return {id: e.dataset.auditId, visible: true};
  const s = getComputedStyle(e);
  const drawn = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0)
    || s.boxShadow !== "none";
  const id = e.dataset.auditId || "";
  return {id, visible: drawn || (id in unfocused && unfocused[id] !== (LOOK)(e)),
          tag: e.tagName.toLowerCase(), text: (e.textContent || e.name || "").trim().slice(0, 40)};
}""".replace("LOOK", LOOK)
UNREACHED = """(ids) => [...document.querySelectorAll("[data-audit-id]")]
  .filter((e) => ids.includes(e.dataset.auditId))
  .map((e) => e.tagName.toLowerCase() + " "
    + (e.name || e.textContent || "").trim().slice(0, 30))"""


def _objects() -> dict:
    from subsidies.models import Redistribution
    from workshops.models import Workshop

    workshop = (
        Workshop.objects.filter(is_public=True, starts_at__gt=timezone.now())
        .order_by("starts_at")
        .first()
    )
    return {"workshop": workshop.pk, "redistribution": Redistribution.objects.first().pk}


def visit(page, key: str, role: str):
    """Open a page of the sample as `role` sees it; returns the page."""
    if role != "public":
        e2e.log_in(page, LOGINS[role], DEMO_PASSWORD)
    response = page.goto(PAGES[key]["path"].format(**_objects()))
    assert response.status == 200, f"{key} as {role}: {response.status}"
    return page


def axe_all_rules(page) -> list[str]:
    """axe-core with every rule it has switched on, experimental and best practice ones too."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page.evaluate(axe.axe_script)
    rules = page.evaluate("axe.getRules().map((rule) => rule.ruleId)")
    results = axe.run(page, options={"rules": {rule: {"enabled": True} for rule in rules}})
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize(("key", "role"), VISITS)
def test_axe_with_all_rules_finds_nothing(desktop, demo, key, role):
    visit(desktop, key, role)
    assert axe_all_rules(desktop) == [], f"{key} as {role}"


@pytest.mark.parametrize(("key", "role"), FIRST_VISITS)
def test_the_keyboard_reaches_every_control_with_a_visible_focus(desktop, demo, key, role):
    visit(desktop, key, role)
    unfocused = desktop.evaluate(CONTROLS)
    controls = set(unfocused)
    reached, unseen, first = set(), [], None
    for _ in range(4 * len(controls) + 20):  # a date field is three stops
        desktop.keyboard.press("Tab")
        focused = desktop.evaluate(FOCUS_STYLE, unfocused)
        if focused is None:
            continue
        if focused["id"] and focused["id"] == first:
            break  # round the page and back: every stop seen, no trap (RGAA 12.9)
        first = first or focused["id"] or None
        reached.add(focused["id"])
        if not focused["visible"]:
            unseen.append(f"{focused['tag']} {focused['text']!r}")
    missed = desktop.evaluate(UNREACHED, list(controls - reached))
    assert missed == [], f"{key}: never reached by the keyboard"
    assert unseen == [], f"{key}: focus not visible on {unseen}"


@pytest.mark.parametrize(("key", "role"), FIRST_VISITS)
def test_at_320_pixels_nothing_scrolls_sideways(browser, live_server, demo, key, role):
    context = browser.new_context(viewport=NARROW, locale="fr-FR", base_url=live_server.url)
    page = visit(context.new_page(), key, role)
    width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert width <= NARROW["width"], f"{key}: {width} px wide"


@pytest.mark.parametrize(("key", "role"), FIRST_VISITS)
def test_at_200_percent_zoom_nothing_is_cut_or_scrolls_sideways(
    browser, live_server, demo, key, role
):
    context = browser.new_context(viewport=ZOOMED, locale="fr-FR", base_url=live_server.url)
    page = visit(context.new_page(), key, role)
    width = page.evaluate("document.documentElement.scrollWidth")
    cut = page.evaluate(CLIPPED_TEXT)
    context.close()
    assert width <= ZOOMED["width"], f"{key}: {width} px wide"
    assert cut == [], f"{key}: text cut in {cut}"


@pytest.mark.parametrize(("key", "role"), FIRST_VISITS)
def test_with_the_text_spaced_out_nothing_is_cut(browser, live_server, demo, key, role):
    # The spacing is a style sheet of the person's own: the page's policy does not apply to it.
    context = browser.new_context(
        viewport=e2e.DESKTOP, locale="fr-FR", base_url=live_server.url, bypass_csp=True
    )
    page = visit(context.new_page(), key, role)
    page.add_style_tag(content=TEXT_SPACING)
    cut = page.evaluate(CLIPPED_TEXT)
    width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert cut == [], f"{key}: text cut in {cut}"
    assert width <= e2e.DESKTOP["width"], f"{key}: {width} px wide"


# What the page says about itself: its language, title, headings and landmarks.
STRUCTURE = """() => {
  const visible = (e) => e.getClientRects().length > 0;
  const levels = [...document.querySelectorAll(
      "main h1, main h2, main h3, main h4, main h5, main h6")].filter(visible)
    .map((h) => Number(h.tagName[1]));
  const jumps = levels.filter((level, i) => i > 0 && level > levels[i - 1] + 1);
  const other = [...document.querySelectorAll("#language-select option")]
    .filter((o) => o.value !== document.documentElement.lang)
    .map((o) => o.getAttribute("lang") === o.value);
  return {
    standards: document.doctype?.name === "html" && document.compatMode === "CSS1Compat",
    lang: document.documentElement.lang,
    title: document.title,
    h1: document.querySelectorAll("h1").length,
    firstHeading: levels[0] || 0,
    jumps: jumps.length,
    mains: document.querySelectorAll("main").length,
    banners: document.querySelectorAll("body > header").length,
    footers: document.querySelectorAll("body > footer").length,
    unnamedNavs: [...document.querySelectorAll("nav")].filter((n) => !n.getAttribute("aria-label")
      && !n.getAttribute("aria-labelledby")).length,
    otherLanguagesMarked: other.length > 0 && other.every(Boolean),
    siteMapInFooter: !!document.querySelector("footer a[href='/plan-du-site/']"),
  };
}"""


@pytest.mark.parametrize(("key", "role"), FIRST_VISITS)
def test_language_title_headings_and_landmarks(desktop, demo, key, role):
    visit(desktop, key, role)
    page = desktop.evaluate(STRUCTURE)
    assert page["standards"]  # RGAA 8.1: <!doctype html>, standards mode
    assert page["lang"] == "fr"  # RGAA 8.3
    assert page["otherLanguagesMarked"]  # RGAA 8.7: "English" is marked lang="en"
    assert page["title"].endswith(" · Ti Lab") and len(page["title"]) > len(" · Ti Lab")  # 8.5
    assert page["h1"] == 1 and page["firstHeading"] == 1 and page["jumps"] == 0  # 9.1
    assert (page["mains"], page["banners"], page["footers"], page["unnamedNavs"]) == (1, 1, 1, 0)
    assert page["siteMapInFooter"]  # RGAA 12.1 and 12.4: the same place on every page


def test_the_titles_of_the_sample_are_all_different(browser, live_server, demo):
    """RGAA 8.6: each title says which page it is, so no two pages share one."""
    titles = {}
    for key, role in FIRST_VISITS:
        context = browser.new_context(locale="fr-FR", base_url=live_server.url)
        titles[key] = visit(context.new_page(), key, role).title()
        context.close()
    assert len(set(titles.values())) == len(titles), titles


@pytest.mark.parametrize(("key", "role"), FIRST_VISITS)
def test_the_first_tab_offers_to_skip_to_the_content(desktop, demo, key, role):
    """RGAA 12.7: the first stop of the keyboard is a visible link to the main content."""
    visit(desktop, key, role)
    desktop.keyboard.press("Tab")
    skip = desktop.locator(":focus")
    assert skip.get_attribute("href") == "#contenu" and skip.is_visible()
    desktop.keyboard.press("Enter")
    assert desktop.evaluate("document.activeElement.closest('main') !== null")


def test_in_english_the_french_content_is_marked_french(desktop, demo):
    """RGAA 8.7 and 8.8: a workshop's title, written in French, read in French."""
    desktop.goto("/")
    desktop.get_by_label("Langue").select_option("en")
    desktop.get_by_role("button", name="Changer").click()
    visit(desktop, "atelier", "public")
    assert desktop.evaluate("document.documentElement.lang") == "en"
    assert desktop.locator("h1 > span[lang='fr']").count() == 1
    assert desktop.locator("#language-select option[value='fr']").get_attribute("lang") == "fr"


# Forms of the sample with fields a person must fill.
FORM_PAGES = [("connexion", "public"), ("inscription", "public"), ("declaration", "maker")]


@pytest.mark.parametrize(("key", "role"), FORM_PAGES)
def test_required_fields_are_marked_in_their_label(desktop, demo, key, role):
    """RGAA 11.10: a required field says so in its label, and the page says what the mark means."""
    visit(desktop, key, role)
    unmarked = desktop.evaluate("""() => [...document.querySelectorAll("main [required]")]
      .filter((f) => f.getClientRects().length)
      .filter((f) => !(f.labels && [...f.labels].some((l) => l.querySelector(".required-mark"))))
      // A radio button's group says it, in its legend.
      .filter((f) => !(f.type === "radio"
                       && f.closest("fieldset")?.querySelector(":scope > legend .required-mark")))
      .map((f) => f.name)""")
    assert unmarked == []
    assert desktop.locator(".required-note").count() >= 1


@pytest.mark.parametrize(("key", "role"), [("connexion", "public"), ("inscription", "public")])
def test_a_refused_form_starts_with_its_error_summary(desktop, demo, key, role):
    """RGAA 11.10 and 11.11: the summary takes focus, links each error to its field, and the
    title starts with "Erreur"."""
    visit(desktop, key, role)
    # The browser's own check would stop an empty form: the server's answer is what is audited.
    desktop.evaluate("document.querySelectorAll('main form').forEach((f) => f.noValidate = true)")
    desktop.locator("main form [type=submit]").last.click()
    desktop.wait_for_load_state()
    summary = desktop.locator("#resume-erreurs")
    assert summary.is_visible()
    assert desktop.evaluate("document.activeElement.id") == "resume-erreurs"
    assert desktop.title().startswith("Erreur")
    first_link = summary.get_by_role("link").first
    target = first_link.get_attribute("href")
    assert target.startswith("#") and desktop.locator(target).count() == 1


@pytest.mark.parametrize("role", ["public", "maker", "relay"])
def test_the_site_map_leads_to_every_page_of_the_sample_the_role_may_open(desktop, demo, role):
    """RGAA 12.1 and 12.3: a second way to every page of the sample (a page showing one object,
    a workshop or a redistribution, is reached through its list)."""
    visit(desktop, "plan", role)
    links = set(desktop.locator("main a").evaluate_all("(links) => links.map((a) => a.pathname)"))
    expected = {
        page["path"] for page in SAMPLE if role in page["roles"] and "{" not in page["path"]
    }
    expected -= {"/plan-du-site/", "/accounts/login/", "/accounts/signup/"}  # in the header
    assert expected <= links, expected - links


@pytest.mark.parametrize("role", ["maker", "relay", "region", "auditor"])
def test_signed_in_pages_carry_the_session_warning(desktop, demo, role):
    """RGAA 13.1: every page of a session can warn before it ends (the warning itself and its
    "Prolonger ma session" are driven in test_session_warning.py)."""
    key = next(key for key, roles in ((p["page"], p["roles"]) for p in SAMPLE) if role in roles)
    visit(desktop, key, role)
    warning = desktop.locator("dialog#session-warning[role=alertdialog]")
    assert warning.count() == 1
    assert warning.get_attribute("data-session-ends-at")


@pytest.mark.parametrize(("key", "role"), [("chiffres", "public"), ("tableau", "region")])
def test_the_two_dates_of_a_period_are_one_group_with_its_legend(desktop, demo, key, role):
    """RGAA 11.5 and 11.6: a filter's "Du" and "Au" are read as the bounds of one period. (The
    queue's dates need no group: their labels say it, "Produit à partir du", "Produit jusqu'au".)"""
    visit(desktop, key, role)
    loose = desktop.evaluate("""() => [...document.querySelectorAll("main form")]
      .filter((form) => form.querySelectorAll("input[type=date]").length >= 2)
      .flatMap((form) => [...form.querySelectorAll("input[type=date]")])
      .filter((field) => !field.closest("fieldset")?.querySelector(":scope > legend"))
      .map((field) => field.name)""")
    assert loose == []
