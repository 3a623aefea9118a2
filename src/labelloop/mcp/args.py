"""The argument types the tools share, with the descriptions a client sees."""


from typing import Annotated

from pydantic import Field

Dataset_ = Annotated[str, Field(description="A dataset file or directory under the roots (relative paths are "
                                "taken from the first root).")]
Datasets_ = Annotated[list[str], Field(description="Dataset file(s) under the roots; several files of the same "
                                       "samples (e.g. one results file per annotator) are combined.")]
Output_ = Annotated[str, Field(description="The file to write, under the roots; written atomically.")]
Format_ = Annotated[str, Field(description="Input format, or 'auto' to recognise it by its columns.")]
Schema_ = Annotated[str | None, Field(description="A template name (see labelloop://templates) or a schema file "
                                      "(YAML / JSON) under the roots; default: the dataset's own schema.")]
Questions_ = Annotated[list[str] | None, Field(description="Only these questions (default: all).")]
provider_help = ("LLM provider: openai, anthropic, moonshot or compatible (an OpenAI-compatible server the "
                 "operator configured). API keys come from the server's environment, never from arguments.")
BaseUrl_ = Annotated[str | None, Field(description="Optional: one of the endpoints the server's operator "
                                       "configured (labelloop mcp --provider-url); others are refused. Default: "
                                       "the provider's configured endpoint, else its public API.")]
Provider_ = Annotated[str, Field(description=provider_help)]
ProviderOpt_ = Annotated[str | None, Field(description=provider_help)]

LsDir_ = Annotated[str | None, Field(description="Label Studio's data dir under the roots (credentials, state); "
                                     "default .labelloop/label-studio.")]
LsUrl_ = Annotated[str | None, Field(description="Label Studio URL: the one the operator configured "
                                     "(--label-studio-url, $LABEL_STUDIO_URL) or the server started from "
                                     "data_dir; others are refused. Default: the configured one, else the "
                                     "data_dir's. The token never comes from a tool argument.")]

