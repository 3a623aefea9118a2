"""A thin httpx client over Label Studio's REST API.

Two kinds of token work: a legacy token (``Authorization: Token …``) and a personal access token,
which is a JWT refresh token exchanged at ``/api/token/refresh/`` for a short-lived Bearer access
token, exchanged again when the server answers 401. Connection errors are retried; errors a user
can cause become one sentence naming the URL.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx

from labelloop.errors import AuthError, LabelStudioError, NotFoundError

RETRYABLE = (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError,
             httpx.ConnectTimeout, httpx.PoolTimeout)


def is_personal_access_token(token: str) -> bool:
    """True for a JWT refresh token (a personal access token), False for a legacy token."""
    parts = token.split(".")
    if len(parts) != 3:
        return False
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, json.JSONDecodeError):
        return False
    return isinstance(payload, dict) and payload.get("token_type") == "refresh"


class LabelStudioClient:
    """``LabelStudioClient(url, token)``; ``token`` is a legacy token or a personal access token."""

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 300.0, retries: int = 3,
                 client: httpx.Client | None = None) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.retries = retries
        self._access: str | None = None
        self.http = client or httpx.Client(base_url=self.url, timeout=timeout, trust_env=False)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> LabelStudioClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ plumbing
    def _auth_header(self, refresh: bool = False) -> dict[str, str]:
        if not self.token:
            return {}
        if not is_personal_access_token(self.token):
            return {"Authorization": f"Token {self.token}"}
        if self._access is None or refresh:
            r = self._send("POST", "/api/token/refresh/", {}, json={"refresh": self.token})
            if r.status_code != 200:
                raise AuthError(f"The personal access token was refused by {self.url} ({r.status_code}).")
            self._access = r.json()["access"]
        return {"Authorization": f"Bearer {self._access}"}

    def _send(self, method: str, path: str, headers: dict[str, str], **kw: Any) -> httpx.Response:
        delay = 0.5
        for attempt in range(self.retries + 1):
            try:
                return self.http.request(method, path, headers=headers, **kw)
            except RETRYABLE as exc:
                if attempt == self.retries:
                    raise LabelStudioError(f"Cannot reach Label Studio at {self.url}: {exc}.") from None
                time.sleep(delay)
                delay *= 2
            except httpx.TimeoutException:
                raise LabelStudioError(f"Label Studio at {self.url} did not answer {method} {path} in time.") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def request(self, method: str, path: str, *, what: str | None = None, **kw: Any) -> Any:
        """Send one request; return the decoded JSON (or None). ``what`` names the object for 404s."""
        r = self._send(method, path, self._auth_header(), **kw)
        if r.status_code == 401 and self.token and is_personal_access_token(self.token):
            r = self._send(method, path, self._auth_header(refresh=True), **kw)
        if r.status_code == 401:
            raise AuthError(f"The token was refused by {self.url}"
                            + (f": {_detail(r)}" if _detail(r) else "") + ".")
        if r.status_code == 403:
            raise AuthError(f"{self.url} does not allow {method} {path} for this token: {_detail(r) or 'forbidden'}.")
        if r.status_code == 404:
            raise NotFoundError(f"There is no {what or path} on {self.url}.")
        if r.status_code >= 400:
            raise LabelStudioError(f"{self.url} refused {method} {path} ({r.status_code}): "
                                   f"{_detail(r) or r.text[:300]}.")
        if not r.content:
            return None
        try:
            return r.json()
        except json.JSONDecodeError:
            return r.text

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.request("POST", path, **kw)

    # ------------------------------------------------------------------ server
    def health(self) -> bool:
        try:
            return self._send("GET", "/health", {}).status_code == 200
        except LabelStudioError:
            return False

    def version(self) -> str | None:
        try:
            r = self._send("GET", "/version", {})
        except LabelStudioError:
            return None
        text = r.text
        start, end = text.find("{"), text.rfind("}")
        try:
            data = json.loads(text[start:end + 1])
        except (ValueError, json.JSONDecodeError):
            return None
        return data.get("release") or data.get("label-studio-os-package", {}).get("version")

    def whoami(self) -> dict[str, Any]:
        return self.get("/api/current-user/whoami")

    # ------------------------------------------------------------------ projects and tasks
    def list_projects(self) -> list[dict[str, Any]]:
        out, page = [], 1
        while True:
            data = self.get("/api/projects", params={"page": page, "page_size": 100})
            if isinstance(data, list):
                return data
            out += data.get("results", [])
            if not data.get("next"):
                return out
            page += 1

    def create_project(self, **fields: Any) -> dict[str, Any]:
        return self.post("/api/projects", json=fields)

    def get_project(self, project_id: int) -> dict[str, Any]:
        return self.get(f"/api/projects/{project_id}", what=f"project {project_id}")

    def update_project(self, project_id: int, **fields: Any) -> dict[str, Any]:
        return self.request("PATCH", f"/api/projects/{project_id}", json=fields, what=f"project {project_id}")

    def delete_project(self, project_id: int) -> None:
        self.request("DELETE", f"/api/projects/{project_id}", what=f"project {project_id}")

    def import_tasks(self, project_id: int, tasks: list[dict[str, Any]]) -> dict[str, Any]:
        return self.post(f"/api/projects/{project_id}/import", json=tasks, what=f"project {project_id}")

    def iter_tasks(self, project_id: int, page_size: int = 500) -> Iterator[dict[str, Any]]:
        """Every task of a project with all its annotations, a page at a time."""
        page, seen = 1, 0
        while True:
            try:
                data = self.get("/api/tasks", params={"project": project_id, "fields": "all", "page": page,
                                                      "page_size": page_size}, what=f"project {project_id}")
            except NotFoundError:
                if page == 1:
                    raise
                return  # Label Studio answers 404 for a page past the end
            tasks = data.get("tasks", []) if isinstance(data, dict) else data
            yield from tasks
            seen += len(tasks)
            total = data.get("total") if isinstance(data, dict) else None
            if not tasks or len(tasks) < page_size or (total is not None and seen >= total):
                return
            page += 1

    def export(self, project_id: int) -> list[dict[str, Any]]:
        """The whole project in Label Studio's JSON export (every annotation of every task)."""
        return self.get(f"/api/projects/{project_id}/export", params={"exportType": "JSON",
                                                                        "download_all_tasks": "true"},
                        what=f"project {project_id}")

    def create_annotation(self, task_id: int, result: list[dict[str, Any]], *, was_cancelled: bool = False,
                          lead_time: float | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"result": result, "was_cancelled": was_cancelled}
        if lead_time is not None:
            body["lead_time"] = lead_time
        return self.post(f"/api/tasks/{task_id}/annotations/", json=body, what=f"task {task_id}")

    def update_annotation(self, annotation_id: int, **fields: Any) -> dict[str, Any]:
        return self.request("PATCH", f"/api/annotations/{annotation_id}/", json=fields,
                            what=f"annotation {annotation_id}")

    # ------------------------------------------------------------------ users, webhooks, ML backends
    def users(self) -> list[dict[str, Any]]:
        data = self.get("/api/users/", params={"page_size": 10000})
        return data.get("results", []) if isinstance(data, dict) else data

    def invite_url(self) -> str:
        return self.url + self.get("/api/invite")["invite_url"]

    def create_webhook(self, project_id: int | None, url: str, actions: list[str] | None = None,
                       send_payload: bool = True) -> dict[str, Any]:
        body: dict[str, Any] = {"url": url, "send_payload": send_payload, "is_active": True,
                                "send_for_all_actions": not actions, "actions": list(actions or [])}
        if project_id is not None:
            body["project"] = project_id
        return self.post("/api/webhooks/", json=body)

    def list_webhooks(self, project_id: int | None = None) -> list[dict[str, Any]]:
        params = {"project": project_id} if project_id is not None else None
        return self.get("/api/webhooks/", params=params)

    def add_ml_backend(self, project_id: int, url: str, title: str = "labelloop", **fields: Any) -> dict[str, Any]:
        return self.post("/api/ml", json={"project": project_id, "url": url, "title": title, **fields})

    def list_ml_backends(self, project_id: int) -> list[dict[str, Any]]:
        return self.get("/api/ml", params={"project": project_id})

    def update_ml_backend(self, backend_id: int, **fields: Any) -> dict[str, Any]:
        return self.request("PATCH", f"/api/ml/{backend_id}", json=fields, what=f"ML backend {backend_id}")

    def retrieve_predictions_automatically(self, project_id: int, on: bool = True) -> dict[str, Any]:
        """The project settings (Settings → Model) that make Label Studio ask the connected ML backend for a
        prediction when a task without one opens, and show predictions as pre-labels."""
        return self.update_project(project_id, evaluate_predictions_automatically=on, show_collab_predictions=on)


def _detail(r: httpx.Response) -> str:
    try:
        data = r.json()
    except (json.JSONDecodeError, ValueError):
        return ""
    if isinstance(data, dict):
        detail = data.get("detail") or ""
        if data.get("validation_errors"):
            detail = f"{detail} {json.dumps(data['validation_errors'], ensure_ascii=False)[:300]}".strip()
        return str(detail)
    return ""
