"""Where the MCP server may send a secret: the operator names the endpoints when the server starts.

A tool's caller is a model that may have read a hostile document, so it never chooses where an API key or a
Label Studio token goes. It may pick among the endpoints the operator configured (``--provider-url``,
``--label-studio-url``, ``$LABEL_STUDIO_URL``, a Label Studio started from the data dir) and the providers'
own public APIs; any other URL is refused before a connection is opened.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from labelloop.errors import EndpointError
from labelloop.urls import normalise


def _url(value: str, what: str) -> str:
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 0) >= 0
    except ValueError:
        ok = False
    if not ok or parts.username or parts.password:
        raise EndpointError(f"{what} {value!r} is not an http(s) URL with a host (and no user or password in it).")
    return value.rstrip("/")


def _pairs(values: list[str], what: str, known: list[str], default: str) -> dict[str, list[str]]:
    """``[PROVIDER=]VALUE`` items by provider (``default`` when no known provider name comes first)."""
    out: dict[str, list[str]] = {}
    for item in values:
        name, sep, rest = item.partition("=")
        if not sep or name not in known:
            if sep and "://" not in name and name.isidentifier():
                raise EndpointError(f"{what} {item!r}: unknown provider {name!r}; known: {', '.join(known)}.")
            name, rest = default, item
        out.setdefault(name, []).append(rest)
    return out


@dataclass
class Endpoints:
    """The operator's endpoints: base URLs per provider, the key variable per provider, Label Studio's URL."""

    provider_urls: dict[str, list[str]] = field(default_factory=dict)
    key_envs: dict[str, str] = field(default_factory=dict)
    label_studio_url: str | None = None

    @classmethod
    def configure(cls, provider_urls: list[str] | None = None, api_key_envs: list[str] | None = None,
                  label_studio_url: str | None = None) -> Endpoints:
        """From ``labelloop mcp --provider-url [PROVIDER=]URL --api-key-env [PROVIDER=]NAME --label-studio-url``;
        a bare URL or NAME is for the ``compatible`` provider. ``$LABEL_STUDIO_URL`` counts as configured."""
        from labelloop.assist.llm import PROVIDERS

        known = list(PROVIDERS)
        urls = {k: [_url(u, "--provider-url") for u in v]
                for k, v in _pairs(provider_urls or [], "--provider-url", known, "compatible").items()}
        keys: dict[str, str] = {}
        for name, envs in _pairs(api_key_envs or [], "--api-key-env", known, "compatible").items():
            if len(envs) > 1:
                raise EndpointError(f"--api-key-env names {len(envs)} variables for {name}; give one.")
            keys[name] = envs[0]
        ls = label_studio_url or os.environ.get("LABEL_STUDIO_URL") or None
        return cls(urls, keys, _url(ls, "--label-studio-url") if ls else None)

    def provider(self, name: str, base_url: str | None) -> tuple[str, str | None]:
        """The base URL to call for ``name`` (the caller's ``base_url`` only if the operator allows it) and the
        environment variable its key comes from: ``--api-key-env`` goes with the operator's URLs only; the
        provider's public API gets the provider's own variable (None)."""
        from labelloop.assist.llm import PROVIDERS

        cls = PROVIDERS.get(name)
        configured = self.provider_urls.get(name, [])
        allowed = [*configured, *([cls.default_base_url] if cls.default_base_url else [])]

        def key_env(url: str) -> str | None:
            return self.key_envs.get(name) if normalise(url) in {normalise(u) for u in configured} else None

        if base_url is None:
            if not allowed:
                raise EndpointError(f"Provider {name!r} has no endpoint on this MCP server; the operator gives one "
                                    f"when starting it: labelloop mcp --provider-url {name}=URL.")
            return allowed[0], key_env(allowed[0])
        try:
            wanted = normalise(base_url)
        except ValueError:
            wanted = ""
        if wanted not in {normalise(u) for u in allowed}:
            shown = ", ".join(allowed) or "none"
            raise EndpointError(f"base_url {base_url} is not an endpoint this MCP server may send {name}'s requests "
                                f"to (allowed: {shown}); the operator allows others when starting it: labelloop mcp "
                                f"--provider-url {name}=URL.")
        return base_url.rstrip("/"), key_env(base_url)

    def label_studio(self, url: str | None, credentials_url: str | None) -> tuple[str | None, str | None]:
        """The Label Studio URL to talk to and the token from the environment that may go there (None: let the
        data dir's credentials decide). A caller's ``url`` must be the configured one or the data dir's server."""
        allowed = [u for u in (self.label_studio_url, credentials_url) if u]
        if url is not None and normalise(url) not in {normalise(u) for u in allowed}:
            shown = ", ".join(allowed) or "none"
            raise EndpointError(f"url {url} is not a Label Studio this MCP server may talk to (allowed: {shown}); the "
                                "operator names it when starting the server: labelloop mcp --label-studio-url URL "
                                "(or $LABEL_STUDIO_URL).")
        target = url or self.label_studio_url
        if target is not None and self.label_studio_url and normalise(target) == normalise(self.label_studio_url):
            return target, os.environ.get("LABEL_STUDIO_API_KEY") or None
        return target, None
