"""Record through the emulator to an endpoint (another emulator here), then replay offline."""

from __future__ import annotations

import openai
import pytest

from mocks.azure_openai.record import Player, Recorder
from mocks.azure_openai.server import AzureOpenAIServer


def test_record_strips_keys_and_replay_answers_offline(azure_openai, tmp_path):
    cassette = tmp_path / "cassette.jsonl"
    upstream = azure_openai  # stands in for https://NAME.openai.azure.com
    messages = [{"role": "user", "content": "Record me. Thanks."}]
    with AzureOpenAIServer(passthrough=Recorder(upstream.url, upstream.api_key, cassette)) as rec:
        recorded = rec.client().chat.completions.create(model="gpt-4o-mini", messages=messages)
        text = cassette.read_text()
        assert upstream.api_key not in text and rec.api_key not in text
    assert len(upstream.control.requests()) == 1
    with AzureOpenAIServer(passthrough=Player(cassette)) as replay:
        client = replay.client(max_retries=0)
        again = client.chat.completions.create(model="gpt-4o-mini", messages=messages)
        assert again.choices[0].message.content == recorded.choices[0].message.content
        assert again.usage == recorded.usage
        with pytest.raises(openai.NotFoundError, match="no recorded exchange"):
            client.chat.completions.create(model="gpt-4o-mini",
                                           messages=[{"role": "user", "content": "never recorded"}])
    assert len(upstream.control.requests()) == 1  # replay never reached the endpoint
