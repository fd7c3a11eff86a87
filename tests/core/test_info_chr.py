"""`mikrodock info --chr NAME`: a local CHR machine is a router like any other."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mikrodock.chr.api import Machine
from mikrodock.cli.main import main

pytestmark = [
    pytest.mark.qemu,
    pytest.mark.skipif(
        shutil.which("qemu-system-x86_64") is None,
        reason="needs qemu-system-x86_64 (apt-get install -y qemu-system-x86)",
    ),
]


@pytest.fixture
def chr_image(persistent_cache: Path) -> Path:
    from mikrodock.testing.guest import guest_image

    return guest_image(cache=persistent_cache / "test-guest")


def test_info_of_a_local_chr(chr_router: Machine, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        main(["info", "--chr", chr_router.name, "--json"])
    except SystemExit as done:
        assert done.code in (0, None)
    facts = json.loads(capsys.readouterr().out)
    assert facts["url"] == chr_router.url
    assert facts["architecture"] == "x86_64"
    assert facts["version"] == "7.22.3"
    assert facts["board"].startswith("CHR")
