"""The labs the kit ships: where each lives and which module runs it.

A lab is ready when its package exists and has a ``run`` module with ``main(argv) -> int``.
Everything here is cheap to import: ``labkit --help`` and ``labkit list`` must stay fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Lab:
    id: str  # "azure/ticket_triage"
    title: str
    exam: str

    @property
    def stack(self) -> str:
        return self.id.split("/")[0]

    @property
    def package(self) -> str:
        return "labs." + self.id.replace("/", ".")

    @property
    def folder(self) -> Path:
        return ROOT / "labs" / self.id

    @property
    def guide(self) -> Path:
        return self.folder / "README.md"

    def status(self) -> str:
        if not (self.folder / "run.py").is_file():
            return "planned"
        return "ready"


LABS = [
    Lab("azure/ticket_triage", "Ticket triage with Azure OpenAI", "AI-102"),
    Lab("gcp/ticket_triage", "Ticket triage with a custom TensorFlow model on Vertex AI", "PMLE"),
    Lab("azure/attachments", "Ticket attachments with Azure AI Vision Image Analysis", "AI-102"),
    Lab("gcp/attachments", "Ticket attachments with your own CNN on Vertex AI", "PMLE"),
]


class UnknownLab(KeyError):
    pass


def get_lab(lab_id: str) -> Lab:
    for lab in LABS:
        if lab.id == lab_id.strip("/"):
            return lab
    known = ", ".join(lab.id for lab in LABS)
    raise UnknownLab(f"No lab named {lab_id!r}. Known labs: {known}. See 'labkit list'.")
