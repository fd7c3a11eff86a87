"""Reading containers back: their state in both dialects, their image, and what mikrodock owns.

Up to 7.19 a container has a ``status`` string; from 7.20 it has flag fields (``running``,
``stopped``, ``extracting``, ...). :func:`container_state` gives one word for both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mikrodock.containers.tags import TAG_PREFIX
from mikrodock.errors import UsageError
from mikrodock.images.reference import parse_reference
from mikrodock.routeros.models import Container

__all__ = [
    "ContainerInfo",
    "container_error",
    "container_image",
    "container_name",
    "container_state",
    "describe",
    "is_tagged_for",
    "owner_of",
    "valid_name",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")  # container names (flags.check_name)


def container_state(record: Mapping[str, str]) -> str:
    """``extracting``, ``stopped``, ``starting``, ``running``, ``stopping``, ``error``, ...

    Reads the ``status`` string (before 7.20) or the flag fields (7.20+): see
    :class:`mikrodock.routeros.models.Container`, the one model of a container record."""
    return Container(record).state


def container_error(record: Mapping[str, str]) -> str:
    """The error text RouterOS attached to a failed download or extraction, if any."""
    return Container(record).error


def container_image(record: Mapping[str, str]) -> str:
    """The image (``repo`` on 7.18-7.19 captures, ``tag`` later; both accepted)."""
    return Container(record).image


def familiar_image(text: str) -> str:
    """The image as docker shows it: ``registry-1.docker.io/library/nginx:1.27`` -> ``nginx:1.27``.

    Anything that is not an image reference (a file name, say) is shown as it is.
    """
    try:
        return parse_reference(text).familiar if text else text
    except UsageError:
        return text


def valid_name(name: str) -> bool:
    """Whether ``name`` could be a container or network name mikrodock made."""
    return bool(_NAME.match(name))


def owner_of(record: Mapping[str, str]) -> str | None:
    """The container a record is tagged for (``mikrodock:web`` -> ``web``), else None."""
    comment = record.get("comment", "")
    if not comment.startswith(TAG_PREFIX):
        return None
    owner = comment[len(TAG_PREFIX) :]
    return owner if _NAME.match(owner) else None


def is_tagged_for(record: Mapping[str, str], name: str) -> bool:
    """Exactly ``mikrodock:<name>``: a hand-made ``mikrodock:web2`` is not ``web``'s."""
    return record.get("comment", "") == f"{TAG_PREFIX}{name}"


def container_name(record: Mapping[str, str]) -> str:
    """mikrodock's name for the container (from its tag, as versions before 7.19 give
    containers generated names), else RouterOS's name."""
    return owner_of(record) or record.get("name") or record.get(".id", "")


@dataclass(frozen=True)
class ContainerInfo:
    """One row of ``ps``."""

    id: str
    name: str
    image: str
    state: str
    ports: tuple[str, ...]
    managed: bool
    address: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "image": self.image,
            "state": self.state,
            "ports": list(self.ports),
            "managed": self.managed,
            "address": self.address,
        }


def describe(
    record: Mapping[str, str],
    nat: Sequence[Mapping[str, str]],
    veths: Sequence[Mapping[str, str]],
) -> ContainerInfo:
    """A ``ps`` row from the container record, its dst-nat rules and its VETH."""
    name = container_name(record)
    managed = owner_of(record) is not None
    ports: list[str] = []
    if managed:
        for rule in nat:
            if is_tagged_for(rule, name) and rule.get("action") == "dst-nat":
                ip = rule.get("dst-address", "")
                prefix = f"{ip}:" if ip else ""
                ports.append(
                    f"{prefix}{rule.get('dst-port', '')}->{rule.get('to-ports', '')}"
                    f"/{rule.get('protocol', 'tcp')}"
                )
    veth = next((v for v in veths if v.get("name") == record.get("interface")), None)
    return ContainerInfo(
        id=record.get(".id", ""),
        name=name,
        image=familiar_image(container_image(record)),
        state=container_state(record),
        ports=tuple(ports),
        managed=managed,
        address=(veth or {}).get("address", "").split("/")[0],
    )
