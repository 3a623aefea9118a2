"""LLM providers by name: ``openai``, ``anthropic``, ``moonshot`` and ``compatible`` (any base URL)."""

from __future__ import annotations

from typing import Any

from labelloop.assist.llm.anthropic import AnthropicProvider
from labelloop.assist.llm.base import PRICES, ChatResult, Provider
from labelloop.assist.llm.openai import CompatibleProvider, MoonshotProvider, OpenAIProvider
from labelloop.errors import ProviderError
from labelloop.registry import Registry

PROVIDERS: Registry[type[Provider]] = Registry("provider")
PROVIDERS.register("openai", OpenAIProvider)
PROVIDERS.register("anthropic", AnthropicProvider)
PROVIDERS.register("moonshot", MoonshotProvider)
PROVIDERS.register("compatible", CompatibleProvider)


def get_provider(name: str, *, model: str | None = None, base_url: str | None = None, **options: Any) -> Provider:
    """A provider by name; ``None`` options fall back to the provider's defaults and environment."""
    cls = PROVIDERS.get(name)
    kwargs = {k: v for k, v in options.items() if v is not None}
    return cls(model=model or "", base_url=base_url or "", **kwargs)


__all__ = ["PROVIDERS", "PRICES", "ChatResult", "Provider", "ProviderError", "get_provider", "OpenAIProvider",
           "AnthropicProvider", "MoonshotProvider", "CompatibleProvider"]
