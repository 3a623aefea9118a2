"""Anthropic's messages API; the answer is forced through a tool call so it arrives as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from labelloop.assist.llm.base import ChatResult, Provider
from labelloop.data.io import json_kind
from labelloop.errors import ProviderError

TOOL = "record_labels"


@dataclass
class AnthropicProvider(Provider):
    name: str = "anthropic"
    api_version: str = "2023-06-01"

    default_model = "claude-3-5-haiku-latest"
    default_base_url = "https://api.anthropic.com"
    key_env = "ANTHROPIC_API_KEY"
    batch_api = "anthropic"

    def payload(self, system: str, messages: list[dict[str, str]], answer_schema: dict[str, Any]) -> dict[str, Any]:
        """The request body of one call: also one request's ``params`` in a message batch."""
        return {
            "model": self.model,
            "system": system,
            "messages": messages,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "tools": [{"name": TOOL, "description": "Record the annotation answers.", "input_schema": answer_schema}],
            "tool_choice": {"type": "tool", "name": TOOL},
        }

    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key or "", "anthropic-version": self.api_version}

    async def complete(self, system: str, messages: list[dict[str, str]], answer_schema: dict[str, Any]) -> ChatResult:
        url = f"{self.base_url}/v1/messages"
        body = await self.post_json(url, self.payload(system, messages, answer_schema), self.headers())
        return self.reply(body, url)

    def reply(self, body: dict[str, Any], url: str) -> ChatResult:
        """The answer in a message (a live reply, or a batch result's message); ``url`` names its source."""
        blocks = body.get("content")
        if not isinstance(blocks, list):
            raise ProviderError(f"{url} answered without a content list.")
        text = ""
        for block in blocks:
            if isinstance(block, dict) and block.get("type") == "tool_use":
                # the reply was parsed with bounded depth, so this cannot recurse too far; validation judges it
                text = json.dumps(block.get("input"), ensure_ascii=False)
                break
        else:  # no tool call: fall back to the text, which validation will judge
            parts = [b.get("text") for b in blocks if isinstance(b, dict) and b.get("type") == "text"]
            bad = next((t for t in parts if not isinstance(t, str)), "")
            if not isinstance(bad, str):
                raise ProviderError(f"{url} answered with a text block whose text is {json_kind(bad)}, not text.")
            text = "".join(parts)
        return self.result(text, body.get("model"), body.get("usage"), "input_tokens", "output_tokens")
