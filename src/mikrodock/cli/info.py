"""CLI: ``mikrodock info``: what the router is and whether it can run containers."""

from __future__ import annotations

import typer

from mikrodock.cli._common import JsonOpt, print_json, router_command, router_target, with_router
from mikrodock.routeros.facts import RouterFacts, read_facts


def _size(value: int | None) -> str:
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return str(value)


def _yes(value: bool | None) -> str:
    return "unknown" if value is None else "yes" if value else "no"


def render(facts: RouterFacts, url: str) -> str:
    lines = [
        f"Router:          {url}",
        f"Identity:        {facts.identity or '-'}",
        f"Version:         {facts.version}",
        f"Board:           {facts.board}",
        f"Architecture:    {facts.architecture} ({facts.platform or 'no container platform'})",
        f"CPUs:            {facts.cpu_count or '-'}",
        f"Memory:          {_size(facts.free_memory)} free of {_size(facts.total_memory)}",
        f"Disk:            {_size(facts.free_hdd)} free of {_size(facts.total_hdd)}",
    ]
    for disk in facts.disks:
        lines.append(f"  {disk.name:<14} {_size(disk.free)} free of {_size(disk.size)}")
    lines += [
        f"Container pkg:   {_yes(facts.container_package)}",
        f"Device-mode:     container={_yes(facts.device_mode_container)}",
    ]
    if not facts.container_package:
        lines.append("Hint: install the container package to run containers on this router.")
    elif not facts.device_mode_container:
        lines.append(
            "Hint: enable containers with /system/device-mode/update container=yes,"
            " then power-cycle the router."
        )
    return "\n".join(lines)


@router_command
def info(as_json: JsonOpt = False) -> None:
    """Show the router's identity, version, board, architecture, memory and disks.

    Also says whether it is ready for containers: container package installed and device-mode
    container=yes, with the fix when it is not.
    """
    target = router_target()
    facts = with_router(read_facts)
    if as_json:
        print_json({"url": target.url, **facts.to_json()})
    else:
        typer.echo(render(facts, target.url))


def register(root: typer.Typer) -> None:
    root.command("info")(info)
