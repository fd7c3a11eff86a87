"""The model boundary: RouterOS records (strings only) read as Python values, in both dialects.

Records are shaped like real answers (see the REST captures listed in the project's research
notes): every value a string, container state as a ``status`` string before 7.20 and as flag
fields from 7.20 on, the image under ``repo`` or ``tag``.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mikrodock.errors import UsageError
from mikrodock.routeros.client import AsyncRouterClient, wire_value
from mikrodock.routeros.models import (
    Container,
    DeviceMode,
    Identity,
    SystemResource,
    find_package,
)

RESOURCE = {
    "architecture-name": "x86_64",
    "board-name": "CHR",
    "cpu-count": "1",
    "free-hdd-space": "17019092992",
    "free-memory": "819691520",
    "total-hdd-space": "17040297984",
    "total-memory": "1073741824",
    "uptime": "7h17m52s",
    "version": "7.19.4 (stable)",
}


def test_system_resource_converts_at_the_boundary() -> None:
    resource = SystemResource(RESOURCE)
    assert str(resource.version) == "7.19.4"
    assert resource.version.channel == "stable"
    assert resource.architecture == "x86_64" and resource.board_name == "CHR"
    assert resource.cpu_count == 1
    assert resource.total_memory == 1073741824 and resource.free_memory == 819691520
    assert resource.total_hdd_space == 17040297984 and resource.free_hdd_space == 17019092992
    assert resource.uptime == 7 * 3600 + 17 * 60 + 52
    assert resource.raw is RESOURCE  # nothing lost


def test_identity_and_device_mode() -> None:
    assert Identity({"name": "edge-1"}).name == "edge-1"
    fresh = DeviceMode({"mode": "advanced", "container": "false", "fetch": "true"})
    assert fresh.mode == "advanced" and not fresh.container and fresh.allows("fetch")
    assert DeviceMode({"container": "yes"}).container


def test_container_package_installed_or_only_available() -> None:
    rows = [
        {".id": "*1", "name": "routeros", "version": "7.22.1", "disabled": "false"},
        {".id": "*3", "name": "container", "available": "true", "disabled": "true"},
    ]
    package = find_package(rows, "container")
    assert package is not None and not package.installed and not package.active
    rows[1] = {".id": "*3", "name": "container", "version": "7.22.1", "disabled": "false"}
    package = find_package(rows, "container")
    assert package is not None and package.active and package.version == "7.22.1"
    assert find_package(rows, "iot") is None


@pytest.mark.parametrize(
    ("record", "state"),
    [
        ({"status": "extracting"}, "extracting"),
        ({"status": "stopped"}, "stopped"),
        ({"status": "running"}, "running"),
        ({"status": "stopping"}, "stopping"),
        ({"status": "error"}, "error"),
        ({"stopped": "true", "running": "false", "starting": "false"}, "stopped"),
        ({"stopped": "false", "running": "true", "starting": "false"}, "running"),
        ({"stopped": "true", "extracting": "true"}, "extracting"),
        ({"stopping": "true", "running": "true"}, "stopping"),
        ({"starting": "true"}, "starting"),
        ({}, "unknown"),
    ],
)
def test_container_state_in_both_dialects(record: dict[str, str], state: str) -> None:
    assert Container(record).state == state
    assert Container(record).running is (state == "running")


def test_container_image_under_repo_or_tag() -> None:
    old = Container({"repo": "registry-1.docker.io/library/nginx:latest", "status": "stopped"})
    new = Container({"tag": "library/nginx:latest", "stopped": "true"})
    assert old.image == "registry-1.docker.io/library/nginx:latest"
    assert new.image == "library/nginx:latest"
    assert Container({"memory-high": "unlimited"}).memory_high is None
    assert Container({"memory-high": "268435456"}).memory_high == 268435456
    assert Container({"memory-high": "256M"}).memory_high == 268435456
    assert Container({"logging": "true", "start-on-boot": "false"}).logging


def test_values_go_on_the_wire_as_routeros_strings() -> None:
    assert wire_value(True) == "yes" and wire_value(False) == "no"
    assert wire_value(8080) == "8080"
    assert wire_value("1d2h") == "1d2h"
    assert wire_value(["a", "b", 3]) == "a,b,3"
    with pytest.raises(TypeError):
        wire_value(None)
    with pytest.raises(TypeError):
        wire_value(b"raw")


@given(st.integers())
def test_ints_keep_their_value_on_the_wire(number: int) -> None:
    assert int(wire_value(number)) == number


@given(st.text())
def test_strings_go_on_the_wire_unchanged(text: str) -> None:
    assert wire_value(text) == text


@pytest.mark.parametrize(
    "url", ["192.168.88.1", "ftp://router", "https://", "not a url at all", "http:///rest"]
)
def test_a_url_that_is_not_a_router_url_is_a_usage_error(url: str) -> None:
    with pytest.raises(UsageError):
        AsyncRouterClient(url)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080/rest", "http://127.0.0.1:8080"),
        ("https://admin:hunter2@192.168.88.1/rest/", "https://192.168.88.1"),
    ],
)
def test_urls_are_normalised_and_never_show_the_password(url: str, shown: str) -> None:
    ros = AsyncRouterClient(url, password="" if "hunter2" in url else "hunter2")
    assert ros.url == shown
    assert "hunter2" not in repr(ros) and "hunter2" not in str(ros)
    assert ros.user == "admin"


@given(
    host=st.ip_addresses(v=4).map(str),
    port=st.integers(min_value=1, max_value=65535),
    scheme=st.sampled_from(["http", "https"]),
    suffix=st.sampled_from(["", "/", "/rest", "/rest/"]),
    secret=st.text(alphabet="abcXYZ0189!$", min_size=8, max_size=20),
)
def test_any_router_url_normalises_and_hides_credentials(
    host: str, port: int, scheme: str, suffix: str, secret: str
) -> None:
    ros = AsyncRouterClient(f"{scheme}://{host}:{port}{suffix}", "admin", secret, tls="insecure")
    default_port = {"http": 80, "https": 443}[scheme]
    assert ros.url == f"{scheme}://{host}" + ("" if port == default_port else f":{port}")
    assert secret not in repr(ros)
