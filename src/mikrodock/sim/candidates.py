"""Behaviours where public sources disagree or are silent: the simulator plays each candidate.

A *candidate* is one named question about RouterOS with a small set of possible answers. The
simulator answers it the likeliest way by default (per version), and a caller may pick another
answer to check that a client copes with it (``SimOptions(candidates={"image-field": "repo"})``,
``mikrodock sim --candidate image-field=repo``, the ``routeros_sim`` fixture's
``{"candidates": {...}}``, or, for every simulator a process starts without picks of its own,
the environment variable ``MIKRODOCK_SIM_CANDIDATES="image-field=repo,flags=set"``).
docs/SIM.md lists each question with its sources.

* ``image-field`` (``tag`` | ``repo``): the field of a ``/container`` record that names its
  image. REST captures of 7.18 and 7.19 show ``repo``; WebFig's container form calls it "Tag"
  and a 7.22.3 ``container/print detail`` shows ``tag=``; nothing public shows 7.20 or 7.21.
  Known versions keep their field; a pick applies from 7.20 on (the CLI capture of 7.22.3 is not
  a REST answer, so 7.22+ is open too). Default from 7.20: ``tag``.
* ``flag-names`` (``documented`` | ``short``): the REST names of two 7.20+ state flags.
  MikroTik's CLI reference names them ``downloading/extracting`` and ``download/extract
  failed``, and REST clients read those keys on 7.2x routers; earlier notes (and mikrodock's
  own first guess) spoke of ``extracting`` and ``failed``. Default: ``documented``.
* ``flags`` (``all`` | ``set``): how a 7.20+ ``/container`` record carries its state flags over
  REST: ``all`` gives every flag of the version as ``"true"``/``"false"`` (as RouterOS does for
  the flags of other menus, ``disabled``, ``dynamic``, ``running`` of interfaces); ``set`` gives
  only the flags that are on (what the CLI's flag column shows). Default: ``all``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from mikrodock.errors import UsageError
from mikrodock.routeros.version import RouterOSVersion, parse_version

__all__ = [
    "CANDIDATES",
    "ENV_VAR",
    "Candidate",
    "check_candidates",
    "from_environment",
    "parse_candidate",
    "pick",
]

ENV_VAR = "MIKRODOCK_SIM_CANDIDATES"


@dataclass(frozen=True)
class Candidate:
    """One open question: its possible answers, the default, and from which version it is open
    (before that version the simulator plays the known answer, whatever is picked)."""

    name: str
    values: tuple[str, ...]
    default: str
    open_since: RouterOSVersion
    known_before: Mapping[str, str]
    """For versions before ``open_since``: lowest version of a range -> the answer it has."""

    def answer(self, version: RouterOSVersion, picked: str | None) -> str:
        if version >= self.open_since:
            return picked or self.default
        found = ""
        for since, value in sorted(
            self.known_before.items(), key=lambda kv: parse_version(kv[0]), reverse=True
        ):
            if version >= parse_version(since):
                found = value
                break
        return found or self.default


CANDIDATES: dict[str, Candidate] = {
    "image-field": Candidate(
        "image-field",
        ("tag", "repo"),
        "tag",
        parse_version("7.20"),
        # tag up to 7.17 (WebFig 7.17.2; terraform-provider-routeros resource drift:
        # 7.18 tag->repo),
        # repo on 7.18/7.19 (REST capture, terraform-provider-routeros issue #969)
        {"7.0": "tag", "7.18": "repo"},
    ),
    "flag-names": Candidate(
        "flag-names", ("documented", "short"), "documented", parse_version("7.20"), {}
    ),
    "flags": Candidate("flags", ("all", "set"), "all", parse_version("7.20"), {}),
}


def parse_candidate(text: str) -> tuple[str, str]:
    """``"image-field=repo"`` -> ``("image-field", "repo")``; a one-line UsageError otherwise."""
    name, sep, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name or not value:
        raise UsageError(
            f"bad candidate {text!r}", hint="write NAME=VALUE, e.g. --candidate image-field=repo"
        )
    check_candidates({name: value})
    return name, value


def from_environment() -> dict[str, str]:
    """The picks named by ``MIKRODOCK_SIM_CANDIDATES`` (``NAME=VALUE`` joined by ``,``)."""
    text = os.environ.get(ENV_VAR, "").strip()
    return dict(parse_candidate(part) for part in text.split(",") if part.strip())


def check_candidates(picked: Mapping[str, str]) -> dict[str, str]:
    """The picks as a plain dict, after checking every name and value."""
    for name, value in picked.items():
        candidate = CANDIDATES.get(name)
        if candidate is None:
            raise UsageError(
                f"unknown candidate {name!r}", hint=f"use one of {', '.join(sorted(CANDIDATES))}"
            )
        if value not in candidate.values:
            raise UsageError(
                f"candidate {name} has no value {value!r}",
                hint=f"use one of {', '.join(candidate.values)}",
            )
    return dict(picked)


def pick(name: str, version: RouterOSVersion, picked: Mapping[str, str]) -> str:
    """The answer the simulator plays for ``name`` on ``version`` with the caller's picks."""
    return CANDIDATES[name].answer(version, picked.get(name))
