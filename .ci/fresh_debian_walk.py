"""The walk of .ci/fresh-debian, against `make run` on a minimal Debian: a demo login the run
printed, then the maker's attestation downloaded as a PDF. Standard library only.

Usage: fresh_debian_walk.py BASE_URL RUN_LOG
"""

import http.cookiejar
import pathlib
import re
import sys
import urllib.error
import urllib.parse
import urllib.request


def fail(message: str) -> None:
    raise SystemExit(f"fresh Debian walk failed: {message}")


def main() -> None:
    base, run_log = sys.argv[1], sys.argv[2]
    printed = pathlib.Path(run_log).read_text(encoding="utf-8", errors="replace")
    password = re.search(r"mot de passe commun : (\S+)\)", printed)
    login = re.search(r"\b(maker@\S+)", printed)
    if password is None or login is None:
        fail(f"make run printed no maker login and password:\n{printed[-3000:]}")

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )

    def request(path: str, data: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            # `base` is the http:// address of make run, given by .ci/fresh-debian.
            outgoing = urllib.request.Request(base + path, data=body)  # noqa: S310
            return opener.open(outgoing, timeout=120)
        except urllib.error.HTTPError as error:
            text = error.read().decode("utf-8", "replace")
            fail(f"{'POST' if data else 'GET'} {path}: {error.code}\n{text[:3000]}")

    def token(path: str) -> str:
        page = request(path).read().decode()
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if found is None:
            fail(f"no CSRF token in {path}")
        return found.group(1)

    signed_in = request(
        "/accounts/login/",
        {
            "csrfmiddlewaretoken": token("/accounts/login/"),
            "login": login.group(1),
            "password": password.group(1),
        },
    )
    if "/accounts/login/" in signed_in.url:
        fail(f"{login.group(1)} could not sign in with the printed password")
    print(f"  signed in as {login.group(1)}, the login make run printed")

    answer = request("/maker/attestation/", {"csrfmiddlewaretoken": token("/maker/attestation/")})
    pdf = answer.read()
    kind = answer.headers.get("Content-Type", "")
    if kind != "application/pdf" or not pdf.startswith(b"%PDF-"):
        fail(f"the attestation is not a PDF ({kind}, {len(pdf)} bytes): {pdf[:200]!r}")
    print(f"  the maker's attestation downloaded: a PDF of {len(pdf)} bytes")


if __name__ == "__main__":
    main()
