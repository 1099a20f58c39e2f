"""The walk of .ci/production-path: a person's journey over HTTP against the installed platform
(gunicorn, worker and beat with DEBUG=False), e-mails read from the SMTP sink's maildir.

Sign-up and its confirmation e-mail; the maker's profile and a report; its validation by the
relay's staff (demo account of the relay covering Ille-et-Vilaine); the figures once the worker
drained them, for the relay and for the public; a workshop registration and its e-mail.
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

DEMO_PASSWORD = "demo-tilab-2020"  # demo/management/commands/seed_demo.py
RELAY_STAFF = "relais.rennes@demo.tilab.test"  # the relay covering Ille-et-Vilaine (35)


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--maildir", required=True)
    options = parser.parse_args()
    walker = Walker(options.base, options.host, options.maildir)

    home = walker.get("/")
    check("Le réseau des makers" in home.text, "the home page does not say 'Le réseau des makers'")
    css = re.search(r'href="(/static/css/tilab\.[0-9a-f]+\.css)"', home.text)
    check(css is not None, "the home page links no hashed stylesheet (collectstatic, manifest)")
    walker.get(css.group(1))
    step("home page and its collected stylesheet served, DEBUG off")
    public_before = walker.figures()

    # Sign-up, confirmed from the e-mail the worker sent.
    address = f"maker-{uuid.uuid4().hex[:8]}@production-path.test"
    password = "Production-path-" + uuid.uuid4().hex[:10]
    walker.post(
        "/accounts/signup/", {"email": address, "password1": password, "password2": password}
    )
    text = walker.mail_to(address, "")
    link = re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s/]+/", text)
    check(link is not None, f"no confirmation link in the sign-up e-mail:\n{text}")
    walker.post(link.group(0), {})
    step(f"signed up as {address}, confirmed from the e-mail received by the SMTP sink")

    # The maker's profile, then a report.
    walker.login(address, password)
    walker.post(
        "/maker/profil/",
        {
            "display_name": "Maker du chemin de production",
            "department": "35",
            "commune": "Rennes",
            "skills": "Impression 3D",
            "equipment": "",
            "is_public": "",
        },
    )
    space = walker.get("/maker/").text
    item = re.search(r'name="item_type" value="(\d+)"', space)
    check(item is not None, "no item to choose on the maker's page")
    quantity = 4321
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
    check(len(mine) == 1 and mine[0]["quantity"] == quantity, f"the report is not listed: {mine}")
    report_id = mine[0]["id"]
    step(f"report n° {report_id} submitted: {quantity} items")

    # The relay's validation, and the drained figures.
    walker.login(RELAY_STAFF, DEMO_PASSWORD)
    before = walker.figures()
    queue = walker.get("/validation/").text
    check(f'value="{report_id}"' in queue, "the report is not in the relay's validation queue")
    decided = walker.post(
        "/validation/decider/", {"validate_one": str(report_id)}, page="/validation/"
    )
    check(
        str(report_id) in html.unescape(decided.text), "the validation did not confirm the report"
    )
    state = walker.get(f"/api/v1/production-reports/{report_id}/").json()["status"]
    check(state == "validated", f"report n° {report_id} is {state}, not validated")
    step(f"validated by {RELAY_STAFF}")
    deadline = time.monotonic() + 60
    while True:
        after = walker.figures()
        if after == before + quantity:
            break
        check(time.monotonic() < deadline, f"the figures went {before} → {after}, not +{quantity}")
        time.sleep(0.5)
    step(f"the worker drained the totals: {before} → {after} for the relay")
    walker.session.cookies.clear()
    public_after = walker.figures()
    check(
        public_after == public_before + quantity,
        f"the public figures went {public_before} → {public_after}, not +{quantity}",
    )
    walker.get("/chiffres/")
    step(f"the public figures show it: {public_before} → {public_after}")

    # A workshop registration, and its e-mail.
    walker.login(address, password)
    agenda = walker.get("/workshops/").text
    workshop = re.search(r'href="/workshops/(\d+)/"', agenda)
    check(workshop is not None, "no workshop on the agenda")
    done = walker.post(
        f"/workshops/{workshop.group(1)}/inscription/", {}, page=f"/workshops/{workshop.group(1)}/"
    )
    check("inscri" in done.text.lower(), "the registration page does not confirm it")
    text = walker.mail_to(address, "")
    check("/workshops/inscription/" in text, f"no registration link in the e-mail:\n{text}")
    step(f"registered to workshop n° {workshop.group(1)}, its e-mail received")
    print("walk passed")


if __name__ == "__main__":
    sys.exit(main())
