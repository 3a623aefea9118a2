"""What otherwise takes clicks: a logged-in browser session, used to switch API tokens on and add people.

Label Studio 1.17 creates organisations with legacy tokens switched off, and its token settings
(``/api/jwt/settings``) and personal access tokens (``/api/token/``) are open to a logged-in
session. Annotator accounts are made through the organisation's invite link, as a person would.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from labelloop.annotate.labelstudio.client import LabelStudioClient
from labelloop.errors import AuthError, LabelStudioError

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken"\s+value="([^"]+)"')


class BrowserSession:
    """A cookie session against Label Studio, logged in with email and password."""

    def __init__(self, url: str, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.http = httpx.Client(base_url=self.url, timeout=timeout, trust_env=False, follow_redirects=False)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> BrowserSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _form(self, path: str, fields: dict[str, str]) -> httpx.Response:
        try:
            page = self.http.get(path)
            m = CSRF_RE.search(page.text)
            if not m:
                raise LabelStudioError(f"{self.url}{path} shows no form to fill in (status {page.status_code}).")
            return self.http.post(path, data={"csrfmiddlewaretoken": m.group(1), **fields},
                                  headers={"Referer": self.url + path})
        except httpx.HTTPError as exc:
            raise LabelStudioError(f"Cannot reach Label Studio at {self.url}: {exc}.") from None

    def login(self, email: str, password: str) -> BrowserSession:
        r = self._form("/user/login/", {"email": email, "password": password})
        if r.status_code != 302:
            raise AuthError(f"Label Studio at {self.url} refused the login of {email}.")
        return self

    def signup(self, invite_path: str, email: str, password: str) -> BrowserSession:
        r = self._form(invite_path, {"email": email, "password": password})
        if r.status_code != 302:
            msg = re.search(r'class="[^"]*error[^"]*"[^>]*>\s*([^<]+)', r.text)
            raise LabelStudioError(f"Label Studio at {self.url} refused to sign up {email}"
                                   + (f": {msg.group(1).strip()}" if msg else "") + ".")
        return self

    def api(self, method: str, path: str, **kw: Any) -> Any:
        headers = {"X-CSRFToken": self.http.cookies.get("csrftoken", ""), "Referer": self.url + "/"}
        r = self.http.request(method, path, headers=headers, **kw)
        if r.status_code >= 400:
            raise LabelStudioError(f"{self.url} refused {method} {path} for the logged-in session "
                                   f"({r.status_code}): {r.text[:200]}.")
        return r.json() if r.content else None


def enable_api_tokens(url: str, email: str, password: str) -> dict[str, Any]:
    """Switch on legacy tokens and personal access tokens for the admin's organisation."""
    with BrowserSession(url) as s:
        s.login(email, password)
        wanted = {"api_tokens_enabled": True, "legacy_api_tokens_enabled": True}
        try:
            return s.api("POST", "/api/jwt/settings", json=wanted)
        except LabelStudioError:  # versions that insist on a time to live (1 to 365 days)
            return s.api("POST", "/api/jwt/settings", json={**wanted, "api_token_ttl_days": 365})


def create_personal_access_token(url: str, email: str, password: str) -> str:
    """A new personal access token (a JWT refresh token) for the user, made by their session."""
    with BrowserSession(url) as s:
        s.login(email, password)
        return s.api("POST", "/api/token/")["token"]


def legacy_token(url: str, email: str, password: str) -> str:
    with BrowserSession(url) as s:
        s.login(email, password)
        return s.api("GET", "/api/current-user/token")["token"]


def add_user(admin: LabelStudioClient, email: str, password: str) -> dict[str, Any]:
    """Create an annotator account in the admin's organisation; returns id, email and legacy token."""
    invite = admin.get("/api/invite")["invite_url"]
    with BrowserSession(admin.url) as s:
        s.signup(invite, email, password)
        me = s.api("GET", "/api/current-user/whoami")
        token = s.api("GET", "/api/current-user/token")["token"]
    return {"id": me["id"], "email": me["email"], "token": token}
