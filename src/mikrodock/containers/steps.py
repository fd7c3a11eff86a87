"""Plan steps: one REST call each, with how to undo it; pure data, rendered by ``render``.

A step that creates an object records its ``.id`` under ``key`` when applied; later steps refer to
it with a :class:`Ref`, which ``apply`` resolves to that id and ``render`` writes as a RouterOS
``[find ...]`` (CLI) or a placeholder (JSON, since the id is only known once the object exists).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Action", "Claim", "Plan", "Ref", "Step", "Undo", "Value"]

Action = Literal["add", "set", "command", "wait"]


@dataclass(frozen=True)
class Ref:
    """The ``.id`` of an object created by an earlier step (``key``), found by ``find``."""

    key: str
    find: tuple[tuple[str, str], ...] = ()


Value = str | Ref


@dataclass(frozen=True)
class Undo:
    """How to reverse a step: ``remove`` what it created, ``restore`` the old values (only where
    nobody changed them since), or ``release`` a shared object: remove it only when no other
    deploy uses it (the network, the logging rule)."""

    kind: Literal["remove", "restore", "release"]
    body: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Claim:
    """What an ``add`` claims on a router other mikrodock processes may be changing too.

    After the add, the router is read again and the earliest object (lowest ``.id``) wins:
    ``address`` (a VETH's address; ``subject`` is the IP), ``subnet`` (a network's gateway
    address; ``subject`` is the network), ``port`` (a dst-nat rule's host ports), ``shared``
    (an object every deploy may add, e.g. the logging rule: a later copy is removed again) and
    ``container`` (the container's name; ``subject`` is its network, checked still there)."""

    kind: Literal["address", "subnet", "port", "shared", "container"]
    subject: str = ""


@dataclass(frozen=True)
class Step:
    """One change (or wait) on the router.

    ``add`` is ``PUT /menu``; ``set`` is ``PATCH /menu/<item>`` or, for a singleton menu
    (``item`` None), ``POST /menu/set``; ``command`` is ``POST /menu/<command>``; ``wait`` polls
    the item until ``body["until"]`` holds.
    """

    action: Action
    menu: str
    body: Mapping[str, Value]
    why: str
    key: str | None = None
    item: Value | None = None
    command: str | None = None
    undo: Undo | None = None
    find: tuple[tuple[str, str], ...] = ()
    """Fields that identify what this step creates (for ``[find ...]`` in scripts)."""
    claim: Claim | None = None
    """Checked against concurrent deploys once the ``add`` is done (see :class:`Claim`)."""

    @property
    def method(self) -> str:
        if self.action == "add":
            return "PUT"
        if self.action == "set":
            return "PATCH" if self.item is not None else "POST"
        if self.action == "wait":
            return "GET"
        return "POST"

    @property
    def verb(self) -> str:
        """The RouterOS command this step runs (``add``, ``set``, ``start``, ...)."""
        if self.action == "command":
            return self.command or ""
        if self.action == "wait":
            return "get"
        return self.action

    def ref(self) -> Ref:
        """A reference to the object this step creates."""
        if self.key is None:
            raise ValueError("this step creates nothing to refer to")
        return Ref(self.key, self.find)


@dataclass(frozen=True)
class Plan:
    """The steps for one container (or network), with what the planner decided."""

    name: str
    steps: tuple[Step, ...]
    facts: Mapping[str, str] = field(default_factory=dict)
    """Decisions worth showing: network, subnet, address, veth, ..."""
