"""Fault injection, persistence across restarts, TLS, and the ``mikrodock sim`` command."""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import signal
import ssl
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mikrodock.errors import UsageError
from mikrodock.sim import Fault, Simulator, parse_fault, running

Factory = Callable[..., Simulator]
Clients = Callable[[Simulator], httpx.Client]


def test_error500_hits_only_the_nth_matching_request(
    routeros_sim: Simulator, rest: httpx.Client
) -> None:
    routeros_sim.add_fault("PUT", "/rest/interface/*", nth=2, kind="error500")
    assert rest.put("/interface/bridge", json={"name": "a"}).status_code == 201
    assert rest.get("/interface/bridge").status_code == 200  # GET does not count
    failed = rest.put("/interface/bridge", json={"name": "b"})
    assert failed.status_code == 500
    assert failed.json()["error"] == 500 and failed.json()["message"]
    assert rest.put("/interface/bridge", json={"name": "c"}).status_code == 201
    assert [b["name"] for b in rest.get("/interface/bridge").json()] == ["a", "c"]


def test_drop_closes_the_connection_without_an_answer(
    routeros_sim: Simulator, rest: httpx.Client
) -> None:
    routeros_sim.add_fault("GET", "/rest/system/resource", kind="drop")
    with pytest.raises(httpx.TransportError):
        rest.get("/system/resource")
    assert rest.get("/system/resource").status_code == 200


def test_latency_delays_but_answers(routeros_sim: Simulator, rest: httpx.Client) -> None:
    fault = routeros_sim.add_fault("GET", "/rest/log", kind="latency", seconds=0.05)
    assert rest.get("/log").status_code == 200
    assert fault.fired == 1


def test_faults_can_be_added_over_http(routeros_sim: Simulator, rest: httpx.Client) -> None:
    auth = (routeros_sim.user, routeros_sim.password)
    made = httpx.post(
        f"{routeros_sim.url}/sim/faults",
        auth=auth,
        json={"method": "GET", "path": "/rest/ip/*", "kind": "error500"},
    )
    assert made.status_code == 201
    assert rest.get("/ip/address").status_code == 500
    listed = httpx.get(f"{routeros_sim.url}/sim/faults", auth=auth).json()
    assert listed[0]["fired"] == 1
    bad = httpx.post(f"{routeros_sim.url}/sim/faults", auth=auth, json={"kind": "explode"})
    assert bad.status_code == 400
    assert httpx.delete(f"{routeros_sim.url}/sim/faults", auth=auth).status_code == 204


def test_parse_fault_reads_the_command_line_form() -> None:
    fault = parse_fault("PUT /rest/container* nth=2 kind=error500")
    assert (fault.method, fault.path, fault.nth, fault.kind) == (
        "PUT",
        "/rest/container*",
        2,
        "error500",
    )
    assert parse_fault("/rest/log kind=latency seconds=0.5").method == "*"
    for bad in (
        "GET /a /b /c",
        "GET /a kind=boom",
        "GET /a nth=0",
        "GET /a nth=x",
        "GET /a colour=red",
    ):
        with pytest.raises(UsageError):
            parse_fault(bad)


@settings(deadline=None)  # no timing in tests: a loaded CI box is slow
@given(
    method=st.sampled_from(["GET", "PUT", "PATCH", "DELETE", "POST", "*"]),
    path=st.from_regex(r"/rest/[a-z/*]{0,20}", fullmatch=True),
    nth=st.integers(1, 50),
    kind=st.sampled_from(["latency", "error500", "drop"]),
    times=st.integers(1, 5),
)
def test_parse_fault_round_trips(method: str, path: str, nth: int, kind: str, times: int) -> None:
    text = f"{method} {path} nth={nth} kind={kind} times={times}"
    assert parse_fault(text) == Fault(method=method, path=path, nth=nth, kind=kind, times=times)


@settings(deadline=None)  # no timing in tests: a loaded CI box is slow
@given(st.text(max_size=40))
def test_parse_fault_never_crashes_on_junk(text: str) -> None:
    with contextlib.suppress(UsageError):
        parse_fault(text)


def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "router.json"
    with running(version="7.21", state_file=state, delays={"extract": 0.01}) as sim:
        rest = httpx.Client(base_url=f"{sim.url}/rest", auth=(sim.user, sim.password))
        rest.put("/interface/veth", json={"name": "veth-keep"})
        rest.put("/container", json={"remote-image": "nginx", "name": "keep"})
        rest.post("/system/identity/set", json={"name": "persisted"})
        rest.close()
    assert state.exists()
    with running(version="7.21", state_file=state) as sim:
        rest = httpx.Client(base_url=f"{sim.url}/rest", auth=(sim.user, sim.password))
        assert [v["name"] for v in rest.get("/interface/veth").json()] == ["veth-keep"]
        assert [c["name"] for c in rest.get("/container").json()] == ["keep"]
        assert rest.get("/system/identity").json()["name"] == "persisted"
        made = rest.put("/interface/veth", json={"name": "veth-2"}).json()
        assert made[".id"] == "*2"  # ids continue, not restart
        rest.close()


def test_a_damaged_state_file_is_a_clear_error(tmp_path: Path) -> None:
    state = tmp_path / "router.json"
    state.write_text("{not json")
    with pytest.raises(Exception, match="damaged"):
        Simulator(state_file=state)


def test_tls_serves_with_a_ca_and_a_pinnable_fingerprint() -> None:
    with running(tls=True) as sim:
        assert sim.url.startswith("https://127.0.0.1:")
        assert sim.ca_path is not None and sim.fingerprint
        answer = httpx.get(
            f"{sim.url}/rest/system/resource",
            verify=ssl.create_default_context(cafile=str(sim.ca_path)),
            auth=(sim.user, sim.password),
        )
        assert answer.status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{sim.url}/", verify=True)  # not signed by a public CA
        pem = ssl.get_server_certificate(("127.0.0.1", sim.port))
        der = ssl.PEM_cert_to_DER_cert(pem)
        assert hashlib.sha256(der).hexdigest() == sim.fingerprint


def _first_line(process: subprocess.Popen[str], timeout: float = 60.0) -> str:
    """The first line the process prints (fails instead of hanging when it prints nothing)."""
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, f"mikrodock sim printed nothing within {timeout}s"
    return process.stdout.readline()


def test_cli_prints_the_url_line_and_serves_until_sigterm(tmp_path: Path) -> None:
    password_file = tmp_path / "password"
    password_file.write_text("s3cret-Pass\n")
    mikrodock = Path(sys.executable).parent / "mikrodock"
    process = subprocess.Popen(
        [
            str(mikrodock),
            "sim",
            "--version",
            "7.20.8",
            "--port",
            "0",
            "--user",
            "admin",
            "--password-file",
            str(password_file),
            "--fault",
            "GET /rest/log kind=error500",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert process.stdout is not None
        line = _first_line(process).strip()
        url, rest_of_line = line.split(" ", 1)
        assert url.startswith("http://127.0.0.1:")
        words = rest_of_line.split()
        assert words[:2] == ["user=admin", f"password-file={password_file}"]
        assert words[2].startswith("api-url=api://127.0.0.1:")  # the API protocol's port
        assert "s3cret" not in line
        resource = httpx.get(f"{url}/rest/system/resource", auth=("admin", "s3cret-Pass"))
        assert resource.json()["version"] == "7.20.8 (stable)"
        assert httpx.get(f"{url}/rest/log", auth=("admin", "s3cret-Pass")).status_code == 500
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""


def test_cli_generates_a_password_and_rejects_bad_input(tmp_path: Path) -> None:
    mikrodock = Path(sys.executable).parent / "mikrodock"
    bad = subprocess.run(
        [str(mikrodock), "sim", "--fault", "GET /x kind=boom"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode == 2
    assert "fault" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    process = subprocess.Popen(
        [str(mikrodock), "sim", "--version", "7.24"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url, *rest = _first_line(process).split()
        words = dict(w.split("=", 1) for w in rest)
        assert words["user"] == "admin" and len(words["password"]) >= 12
        answer = httpx.get(f"{url}/rest/system/identity", auth=("admin", words["password"]))
        assert answer.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--version", "7.10"], "7.10"),
        (["--arch", "mips"], "architecture"),
        (["--password-file", "/nonexistent/pw"], "password file"),
        (["--fault", "GET /x nth=0"], "fault"),
        (["--extra-package", "nope"], "unknown extra package nope"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(args: list[str], words: str) -> None:
    mikrodock = Path(sys.executable).parent / "mikrodock"
    done = subprocess.run(
        [str(mikrodock), "sim", *args], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and words in done.stderr
    assert done.stdout == ""
