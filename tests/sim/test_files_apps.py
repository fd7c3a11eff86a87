"""The simulated /file, /tool/fetch (from a real local HTTP server) and /app."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from mikrodock.sim import Simulator

Factory = Callable[..., Simulator]
Clients = Callable[[Simulator], httpx.Client]

PAYLOAD = bytes(range(256)) * 64  # binary, 16 KiB


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/blob.bin":
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            self.wfile.write(PAYLOAD)
        else:
            self.send_error(404)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def web() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_file_uploads_are_listed_with_size_and_contents(rest: httpx.Client) -> None:
    made = rest.put("/file", json={"name": "disk1/notes/readme.txt", "contents": "hello\n"})
    assert made.status_code in (200, 201)
    record = made.json()
    assert (record["size"], record["contents"], record["type"]) == ("6", "hello\n", ".txt file")
    files = {f["name"]: f for f in rest.get("/file").json()}
    assert files["disk1"]["type"] == files["disk1/notes"]["type"] == "directory"
    changed = rest.patch(f"/file/{record['.id']}", json={"contents": "bye"}).json()
    assert changed["size"] == "3"
    folder = files["disk1"][".id"]
    assert rest.delete(f"/file/{folder}").status_code == 204
    assert rest.get("/file").json() == []


def test_fetch_downloads_from_this_machine_into_file(
    routeros_sim: Simulator, rest: httpx.Client, web: str
) -> None:
    answer = rest.post(
        "/tool/fetch", json={"url": f"{web}/blob.bin", "dst-path": "disk1/b.bin", "mode": "http"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()[0]["status"] == "finished"
    listed = {f["name"]: f for f in rest.get("/file").json()}
    assert listed["disk1/b.bin"]["size"] == str(len(PAYLOAD))
    assert "contents" not in listed["disk1/b.bin"]
    assert routeros_sim.read_file("disk1/b.bin") == PAYLOAD
    missing = rest.post("/tool/fetch", json={"url": f"{web}/nope"})
    assert missing.status_code == 400 and "404" in missing.json()["detail"]
    away = rest.post("/tool/fetch", json={"url": "http://example.com/x"})
    assert away.status_code == 400 and "127.0.0.1" in away.json()["detail"]


def test_sim_files_endpoint_takes_raw_bytes(routeros_sim: Simulator, rest: httpx.Client) -> None:
    answer = httpx.put(
        f"{routeros_sim.url}/sim/files/pkg/container-7.22.3.npk",
        content=PAYLOAD,
        auth=(routeros_sim.user, routeros_sim.password),
    )
    assert answer.status_code == 201
    assert answer.json()["type"] == "package"
    assert routeros_sim.read_file("pkg/container-7.22.3.npk") == PAYLOAD


@pytest.mark.parametrize("version", ["7.20", "7.21", "7.22"])
def test_app_lists_from_7_21_and_adds_yaml_from_7_22(
    routeros_sim_factory: Factory, client_for: Clients, version: str
) -> None:
    rest = client_for(routeros_sim_factory(version=version))
    listing = rest.get("/app")
    if version == "7.20":
        assert listing.status_code == 400
        return
    apps = listing.json()
    assert apps and all(a["disabled"] == "true" and a["name"] for a in apps)
    yaml = "name: mikrodock-demo\nservices:\n  web:\n    image: nginx:alpine\n"
    added = rest.put("/app", json={"yaml": yaml})
    if version == "7.21":
        assert added.status_code == 400
        return
    assert added.status_code == 201, added.text
    assert added.json()["name"] == "mikrodock-demo"
    assert added.json()["yaml"] == yaml
    assert added.json()["containers"].startswith("web:none:")  # computed from the YAML
    assert rest.put("/app", json={"yaml": yaml}).status_code == 400  # same name again
    assert rest.put("/app", json={"yaml": "name: [unclosed"}).status_code == 400
    assert rest.delete(f"/app/{apps[0]['.id']}").status_code == 400  # built-in
    assert rest.delete(f"/app/{added.json()['.id']}").status_code == 204
