"""Shared set-up for the Azure ticket-triage graded tests: dataset, connection, a run helper.

Lab code is reached only through the root ``lab_module`` fixture, so grading can point these
tests at a learner's copy.
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

LAB = "azure/ticket_triage"


@pytest.fixture(scope="session")
def tickets_dataset():
    from shared.datasets.tickets import generate

    return generate(seed=0)


@pytest.fixture
def lab(lab_module):
    """lab("budget") -> the lab's budget module (through lab_module)."""
    return lambda name: lab_module(LAB, name)


@pytest.fixture
def connection(azure_openai):
    """The lab's connection to the (reset) emulator's default deployment."""
    from shared.azure import azure_openai_connection
    from shared.config import load_settings

    return azure_openai_connection(load_settings("mock", environ={}))


@pytest.fixture
def small_deployment(azure_openai, connection):
    """factory(name, context_window=..., max_output_tokens=..., tpm=...) -> a connection to a
    deployment added to the emulator for this test."""

    def make(name: str, **fields):
        dep = azure_openai.control.add_deployment(name, "gpt-4o-mini", **fields)
        return dataclasses.replace(connection, deployment=name,
                                   context_window=dep.context_window,
                                   max_output_tokens=dep.max_output_tokens)

    return make


@pytest.fixture
def run_triage(lab, tickets_dataset, tmp_path):
    """run(connection, tickets, **config) -> (store, stats): one Triage run on the emulator."""

    def run(conn, tickets, *, examples_per_category: int = 1, **config):
        triage, store_mod, prompt, client = lab("triage"), lab("store"), lab("prompt"), lab("client")
        store = store_mod.ResultStore(tmp_path / f"results-{len(list(tmp_path.iterdir()))}.db")
        cfg = triage.TriageConfig(examples_per_category=examples_per_category, **config)
        examples = prompt.select_examples(tickets_dataset.train, examples_per_category)

        async def go():
            async with client.make_client(conn) as c:
                t = triage.Triage(c, conn, store, cfg, prompt.default_labels(), examples)
                return await t.run(tickets)

        return store, asyncio.run(go())

    return run


def sdk_error(azure_openai, connection, item: dict | None = None, **client_kwargs):
    """The exception the real SDK raises for one scripted answer (or a real refusal)."""
    import openai  # here, not at the top: grading one exercise collects every test module

    if item is not None:
        azure_openai.control.script(item)
    client = azure_openai.client(max_retries=0, **client_kwargs)
    with pytest.raises(openai.OpenAIError) as caught:
        client.chat.completions.create(model=connection.deployment, max_tokens=5,
                                       messages=[{"role": "user", "content": "My invoice is wrong"}])
    return caught.value
