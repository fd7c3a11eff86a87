"""ps text output: columns line up whatever the length of an image name (like docker ps)."""

from __future__ import annotations

from typing import Any

from mikrodock.sim import running

from .conftest import FAST


def test_ps_columns_line_up_with_long_image_names(cli: Any) -> None:
    with running(version="7.22", delays=FAST) as sim:
        long_image = "ghcr.io/some-organisation/a-rather-long-image-name:2024.10.1"
        for name, image, publish in (("web", "nginx:1.27", "8080:80"), ("api", long_image, "")):
            ports = ("-p", publish) if publish else ()
            code, _out, err = cli(sim, "run", "-d", "--name", name, *ports, image)
            assert code == 0, err
        code, out, err = cli(sim, "ps")
        assert code == 0, err
        lines = out.splitlines()
        header = lines[0]
        for column in ("IMAGE", "STATE", "MANAGED", "PORTS"):
            start = header.index(column)
            for line in lines[1:]:
                if column == "PORTS" and len(line) <= start:
                    continue  # no ports
                assert line[start - 1] == " " and line[start] != " ", (column, line)
        assert any(long_image in line for line in lines)


def test_ps_shows_images_the_way_docker_does(cli: Any) -> None:
    with running(version="7.22", delays=FAST) as sim:
        code, _out, err = cli(sim, "run", "-d", "--name", "web", "nginx:1.27")
        assert code == 0, err
        code, out, err = cli(sim, "ps", "--json")
        assert code == 0, err
        assert '"image": "nginx:1.27"' in out  # not registry-1.docker.io/library/nginx:1.27
