"""The walk of .ci/production-path: people's journeys over HTTP against the installed platform
(gunicorn, worker and beat with DEBUG=False), set up as README's "First run" tells an operator
(`network_setup`, then `staff_invite`), e-mails read from the SMTP sink's maildir. No demo data.

The relay's staff member chooses a password from the one-time link `staff_invite --print-link`
printed; the facilitator from the link of the invitation e-mail, and schedules a public
workshop. Three makers sign up and confirm from their e-mails, fill in their profiles and each
report the same item this week (the public figures show a week's total only once three
producers made it: TILAB_PUBLIC_MIN_PRODUCERS, left at its default); the relay validates the
reports; the worker drains the figures, for the relay and for the public; a maker registers to
the workshop and gets its e-mail.
Each request carries the site's name as Host (ALLOWED_HOSTS holds only that name), the
session and CSRF cookies, and the CSRF token of the form it posts.
"""

import argparse
import datetime
import email
import email.policy
import html
import mailbox
import re
import sys
import time
import uuid

import requests

MAKERS = 3  # TILAB_PUBLIC_MIN_PRODUCERS's default: a week's total made by three is public


class Walker:
    def __init__(self, base: str, host: str, maildir: str):
        self.base, self.host, self.maildir = base, host, maildir
        self.session = requests.Session()
        self.session.headers["Host"] = host
        self.seen_mail: set[str] = set()

    # HTTP ------------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """A path, or a link of an e-mail (SITE_URL's name), as an address of this gunicorn."""
        path = re.sub(r"^https?://[^/]+", "", path)
        return self.base + path

    def get(self, path: str, status: int = 200, **kwargs) -> requests.Response:
        answer = self.session.get(self.url(path), timeout=30, **kwargs)
        check(answer.status_code == status, f"GET {path}: {answer.status_code}, not {status}")
        return answer

    def post(self, path: str, data: dict, status: int = 200, page: str = "") -> requests.Response:
        """Post a form as a browser would: with the token of the form's page (the path itself
        unless named), and the CSRF cookie."""
        token = csrf_token(self.get(page or path).text)
        answer = self.session.post(
            self.url(path), data={"csrfmiddlewaretoken": token, **data}, timeout=30
        )
        check(
            answer.status_code == status,
            f"POST {path}: {answer.status_code}, not {status}\n{answer.text[:2000]}",
        )
        return answer

    def login(self, address: str, password: str) -> None:
        self.session.cookies.clear()
        answer = self.post("/accounts/login/", {"login": address, "password": password})
        check(
            "/accounts/login/" not in answer.url,
            f"{address} could not sign in:\n{answer.text[:2000]}",
        )

    def figures(self) -> int:
        """All validated production to date, as this visitor may see it."""
        return self.get("/api/v1/figures/?group_by=department").json()["overall"]["quantity"]

    # E-mail ----------------------------------------------------------------------------------

    def mail_to(self, address: str, subject_part: str, timeout: float = 60) -> str:
        """The text of the first new e-mail to this address whose subject holds the words,
        waiting for the worker to send it from the outbox."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for key, message in mailbox.Maildir(self.maildir, factory=None).items():
                if key in self.seen_mail:
                    continue
                parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
                if address in parsed["To"] and subject_part.lower() in parsed["Subject"].lower():
                    self.seen_mail.add(key)
                    body = parsed.get_body(preferencelist=("plain", "html"))
                    return f"{parsed['Subject']}\n{body.get_content()}"
            time.sleep(0.5)
        raise SystemExit(f"no e-mail to {address} about « {subject_part} » in {timeout} s")


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"production walk failed: {message}")


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    check(found is not None, "no CSRF token in the form's page")
    return found.group(1)


def step(text: str) -> None:
    print(f"  {text}", flush=True)


def choose_password(walker: Walker, link: str, address: str, password: str) -> None:
    """Open a one-time link of `staff_invite` (allauth's password-reset link), choose the
    password on the page it leads to, and sign in with it."""
    walker.session.cookies.clear()
    form = walker.get(link)  # the key goes into the session; the page asks for the password
    check('name="password1"' in form.text, f"the link of {address} asks for no password")
    walker.post(form.url, {"password1": password, "password2": password})
    walker.login(address, password)


def sign_up(walker: Walker, number: int) -> tuple[str, str]:
    """A maker signs up, confirms from the e-mail the worker sent, and fills in a profile."""
    address = f"maker-{number}-{uuid.uuid4().hex[:8]}@production-path.test"
    password = "Production-path-" + uuid.uuid4().hex[:10]
    walker.session.cookies.clear()
    walker.post(
        "/accounts/signup/", {"email": address, "password1": password, "password2": password}
    )
    text = walker.mail_to(address, "")  # the first e-mail to a new address: the confirmation
    link = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s/]+/", text)
    check(link is not None, f"no confirmation link in the sign-up e-mail:\n{text}")
    walker.post(link.group(0), {})
    walker.login(address, password)
    walker.post(
        "/maker/profil/",
        {
            "display_name": f"Maker n° {number} du chemin de production",
            "department": "35",
            "commune": "Rennes",
            "skills": "Impression 3D",
            "equipment": "",
            "is_public": "",
        },
    )
    step(f"signed up as {address}, confirmed from the e-mail received by the SMTP sink")
    return address, password


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--relay-staff", required=True, help="invited with --print-link")
    parser.add_argument("--relay-link", required=True, help="the link it printed")
    parser.add_argument("--facilitator", required=True, help="invited by e-mail")
    options = parser.parse_args()
    walker = Walker(options.base, options.host, options.maildir)

    home = walker.get("/")
    check("Le réseau des makers" in home.text, "the home page does not say 'Le réseau des makers'")
    css = re.search(r'href="(/static/css/tilab\.[0-9a-f]+\.css)"', home.text)
    check(css is not None, "the home page links no hashed stylesheet (collectstatic, manifest)")
    walker.get(css.group(1))
    step("home page and its collected stylesheet served, DEBUG off")
    public_before = walker.figures()

    # Staff, as README's first run invites them: no admin, no demo account.
    relay_password = "Relais-" + uuid.uuid4().hex[:12]
    choose_password(walker, options.relay_link, options.relay_staff, relay_password)
    step(f"{options.relay_staff} chose a password from the link staff_invite printed")
    text = walker.mail_to(options.facilitator, "", timeout=90)
    link = re.search(r"https?://[^\s]+/accounts/password/reset/key/[^\s]+", text)
    check(link is not None, f"no link in the facilitator's invitation:\n{text}")
    facilitator_password = "Animation-" + uuid.uuid4().hex[:12]
    choose_password(walker, link.group(0), options.facilitator, facilitator_password)
    step(f"{options.facilitator} chose a password from the invitation e-mail")

    # The facilitator schedules a public workshop.
    form = walker.get("/workshops/manage/nouveau/").text
    theme = re.search(r'<option value="(\d+)"', form[form.index('name="theme"') :])
    check(theme is not None, "no theme to choose on the workshop form")
    title = "Atelier du chemin de production " + uuid.uuid4().hex[:6]
    starts = datetime.date.today() + datetime.timedelta(days=7)
    walker.post(
        "/workshops/manage/nouveau/",
        {
            "title": title,
            "description": "Réparer des visières.",
            "theme": theme.group(1),
            "starts_on": starts.isoformat(),
            "starts_time": "14:00",
            "duration_hours": "2",
            "duration_minutes": "0",
            "address": "1 rue de la Fabrique",
            "commune": "Rennes",
            "department": "35",
            "online_url": "",
            "capacity": "12",
            "deadline_on": "",
            "deadline_time": "",
            "visibility": "public",
        },
    )
    step(f"{options.facilitator} scheduled « {title} »")

    # Makers sign up and each report the same item this week.
    makers = [sign_up(walker, number) for number in range(1, MAKERS + 1)]
    quantity, reports = 1234, []
    for address, password in makers:
        walker.login(address, password)
        space = walker.get("/maker/").text
        item = re.search(r'name="item_type" value="(\d+)"', space)
        check(item is not None, "no item to choose on the maker's page (network_setup's catalogue)")
        walker.post(
            "/maker/",
            {
                "item_type": item.group(1),
                "quantity": str(quantity),
                "produced_on": datetime.date.today().isoformat(),
                "material_cost_cents": "",
                "recipient": "CHU Rennes",
                "organisation": "",
            },
        )
        mine = walker.get("/api/v1/production-reports/").json()["results"]
        check(
            len(mine) == 1 and mine[0]["quantity"] == quantity, f"the report is not listed: {mine}"
        )
        reports.append(mine[0]["id"])
        step(f"report n° {mine[0]['id']} submitted by {address}: {quantity} items")
    total = quantity * len(reports)

    # The relay's validation, and the drained figures.
    walker.login(options.relay_staff, relay_password)
    before = walker.figures()
    queue = walker.get("/validation/").text
    for report_id in reports:
        check(f'value="{report_id}"' in queue, f"report n° {report_id} is not in the queue")
        decided = walker.post(
            "/validation/decider/", {"validate_one": str(report_id)}, page="/validation/"
        )
        check(
            str(report_id) in html.unescape(decided.text),
            f"the validation did not confirm report n° {report_id}",
        )
        state = walker.get(f"/api/v1/production-reports/{report_id}/").json()["status"]
        check(state == "validated", f"report n° {report_id} is {state}, not validated")
    step(f"{len(reports)} reports validated by {options.relay_staff}")
    deadline = time.monotonic() + 60
    while True:
        after = walker.figures()
        if after == before + total:
            break
        check(time.monotonic() < deadline, f"the figures went {before} → {after}, not +{total}")
        time.sleep(0.5)
    step(f"the worker drained the totals: {before} → {after} for the relay")
    walker.session.cookies.clear()
    public_after = walker.figures()
    check(
        public_after == public_before + total,
        f"the public figures went {public_before} → {public_after}, not +{total}",
    )
    walker.get("/chiffres/")
    step(f"the public figures show the week of {MAKERS} makers: {public_before} → {public_after}")

    # A workshop registration, and its e-mail.
    address, password = makers[0]
    walker.login(address, password)
    agenda = walker.get("/workshops/").text
    workshop = re.search(r'href="/workshops/(\d+)/"', agenda)
    check(workshop is not None, "the facilitator's workshop is not on the agenda")
    check(html.escape(title) in agenda or title in agenda, f"« {title} » is not on the agenda")
    done = walker.post(
        f"/workshops/{workshop.group(1)}/inscription/", {}, page=f"/workshops/{workshop.group(1)}/"
    )
    check("inscri" in done.text.lower(), "the registration page does not confirm it")
    text = walker.mail_to(address, "Inscription confirmée")
    check("/workshops/inscription/" in text, f"no registration link in the e-mail:\n{text}")
    step(f"registered to workshop n° {workshop.group(1)}, its e-mail received")
    print("walk passed")


if __name__ == "__main__":
    sys.exit(main())
