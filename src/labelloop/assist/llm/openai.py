"""OpenAI's chat-completions API and every server that speaks it (Moonshot, vLLM, Ollama, LiteLLM)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labelloop.assist.llm.base import ChatResult, Provider
from labelloop.data.io import json_kind
from labelloop.errors import ProviderError


@dataclass
class OpenAIProvider(Provider):
    """``POST {base_url}/chat/completions`` with ``response_format`` asking for a JSON object."""

    name: str = "openai"
    json_mode: bool = True

    default_model = "gpt-4o-mini"
    default_base_url = "https://api.openai.com/v1"
    key_env = "OPENAI_API_KEY"
    batch_api = "openai"

    def payload(self, system: str, messages: list[dict[str, str]], answer_schema: dict[str, Any]) -> dict[str, Any]:
        """The request body of one call: also one line's ``body`` in a batch file."""
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "system", "content": system}, *messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        if self.json_mode:
            payload["response_format"] = {"type": "json_object"}
        return payload

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    async def complete(self, system: str, messages: list[dict[str, str]], answer_schema: dict[str, Any]) -> ChatResult:
        url = f"{self.base_url}/chat/completions"
        body = await self.post_json(url, self.payload(system, messages, answer_schema), self.headers())
        return self.reply(body, url)

    def reply(self, body: dict[str, Any], url: str) -> ChatResult:
        """The answer in a chat completion (a live reply, or a batch result's body); ``url`` names its source."""
        try:
            content = body["choices"][0]["message"].get("content")
        except (KeyError, IndexError, TypeError, AttributeError):
            raise ProviderError(f"{url} answered without choices[0].message.content.") from None
        if isinstance(content, list):  # some servers send a list of parts: text parts are joined
            if not all(isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
                       for p in content):
                raise ProviderError(f"{url} answered with message content parts that are not all text.")
            content = "".join(p["text"] for p in content)
        elif content is not None and not isinstance(content, str):
            raise ProviderError(f"{url} answered with message content that is {json_kind(content)}, not text.")
        return self.result(content or "", body.get("model"), body.get("usage"), "prompt_tokens", "completion_tokens")


@dataclass
class MoonshotProvider(OpenAIProvider):
    name: str = "moonshot"
    default_model = "moonshot-v1-8k"
    default_base_url = "https://api.moonshot.ai/v1"
    key_env = "MOONSHOT_API_KEY"


@dataclass
class CompatibleProvider(OpenAIProvider):
    """Any OpenAI-compatible server by base URL. It sends no key unless told which environment variable holds
    one (``api_key_env``, ``--api-key-env``): a server of unknown ownership never receives ``OPENAI_API_KEY``."""

    name: str = "compatible"
    default_model = "default"
    default_base_url = ""
    key_env = None
