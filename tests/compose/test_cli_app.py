"""`mikrodock app inspect | validate | convert` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from mikrodock.cli import app as app_cli

APP = """\
name: demo
services:
  web:
    image: nginx
    ports: ["8080:80:web"]
    environment: {B: 2, A: 1}
    volumes: [data:/data]
"""


@pytest.fixture
def cli() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _root() -> None: ...

    app_cli.register(root)
    return root


def run(cli: typer.Typer, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_inspect_json(cli: typer.Typer, tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(APP)
    code, out, _err = run(cli, "app", "inspect", str(tmp_path / "app.yaml"), "--format", "json")
    assert code == 0
    assert json.loads(out) == {
        "containers": "web:none:nginx",
        "environment": "web:A=1,web:B=2",
        "firewall-redirects": "8080:80:tcp:web",
        "required-mounts": "data",
    }


def test_validate_ok_and_bad(cli: typer.Typer, tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(APP)
    code, out, _err = run(cli, "app", "validate", str(good), "--router-version", "7.22.3")
    assert code == 0 and "valid" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text(APP.replace("image: nginx", "image: nginx\n    colour: red"))
    code, _out, err = run(cli, "app", "validate", str(bad))
    assert code == 2
    assert f"{bad}:5: services.web: unknown key 'colour'" in err
    code, out, _err = run(cli, "app", "validate", str(bad), "--json")
    assert code == 2 and json.loads(out)["issues"][0]["line"] == 5


def test_convert_writes_the_file(cli: typer.Typer, tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text(
        "services:\n  web:\n    image: nginx\n    ports: ['8080:80']\n    privileged: true\n"
    )
    out_file = tmp_path / "app.yaml"
    code, _out, err = run(
        cli, "app", "convert", str(tmp_path / "compose.yaml"), "-o", str(out_file)
    )
    assert code == 0
    assert "privileged" in err
    code, out, _err = run(cli, "app", "inspect", str(out_file))
    assert "firewall-redirects: 8080:80:tcp" in out


def test_errors_exit_2_with_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mikrodock.cli.main import main

    bad = tmp_path / "bad.yaml"
    bad.write_text("services:\n  web:\n    image: [nginx\n")
    with pytest.raises(SystemExit) as info:
        main(["app", "inspect", str(bad)])
    assert info.value.code == 2
    assert f"{bad}:3: YAML syntax error" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["app", "validate", str(bad), "--router-version", "7.20.8"])
    assert info.value.code == 2
    assert "7.22" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["app", "convert", str(tmp_path / "missing.yml")])
    assert info.value.code == 2
    assert "no such file" in capsys.readouterr().err
