"""A container's data interfaces joined to the router's ether2..etherN (``tc`` connection mode).

The router gets one extra NIC per data interface, each on a TAP device (``tap1`` is ether2,
``tap2`` ether3, ...) made before QEMU starts. The container's interfaces are joined to them as
they appear: containerlab adds ``eth1..ethN`` after the container started, and ``ethN`` is
``ether(N+1)``; a compose lab instead names, in ``MIKRODOCK_DATA_LINKS``, the subnet of the
network that is each etherN (``ether2=10.253.0.0/29,...``), because compose does not promise
the order of a container's interfaces. Joining means: both ends up and a ``tc`` ingress filter
on each end that redirects every frame to the other (``mirred egress redirect``), the way
containerlab's ``tc`` connection mode works. A containerlab interface's address (none, usually)
is flushed; a compose network's is kept, with frames to it and copies of ARP left to the
container, because the engine may aim published ports at that address.

Everything here shells out to ``ip`` and ``tc`` (iproute2), so it runs as root in a container
with ``NET_ADMIN`` and ``/dev/net/tun``; :func:`plan` says why not when they are missing.
"""

from __future__ import annotations

import ipaddress
import json
import re
import subprocess
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mikrodock.errors import UsageError

__all__ = ["DataLinks", "Wiring", "parse_links_env", "plan"]

Note = Callable[[str], None]
SYS_NET = Path("/sys/class/net")
MAX_NICS = 24
"""etherN up to ether25: the PCIe slots a q35 machine has beside its own devices"""


def parse_links_env(text: str) -> dict[int, ipaddress.IPv4Network]:
    """``ether2=10.253.0.0/29,ether3=...`` -> {2: network, 3: network}."""
    found: dict[int, ipaddress.IPv4Network] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, subnet = item.partition("=")
        match = re.fullmatch(r"ether([2-9]|[1-9][0-9])", name.strip())
        try:
            network = ipaddress.IPv4Network(subnet.strip()) if sep else None
        except ValueError:
            network = None
        if match is None or network is None:
            raise UsageError(
                f"bad MIKRODOCK_DATA_LINKS item {item!r}", hint="write etherN=SUBNET, N >= 2"
            )
        found[int(match.group(1))] = network
    return found


@dataclass
class Wiring:
    """Which TAP is which etherN, and how to find the container interface for it."""

    count: int
    """data NICs: ether2..ether(count+1) on tap1..tap<count>"""
    subnets: dict[int, ipaddress.IPv4Network] = field(default_factory=dict)
    """etherN -> subnet (compose); empty: containerlab's ethN = ether(N+1)"""

    def tap(self, ether: int) -> str:
        return f"tap{ether - 1}"


def plan(env: Mapping[str, str], tun: Path = Path("/dev/net/tun")) -> tuple[Wiring, str]:
    """How many data NICs to give the router, and a reason when it is none.

    ``CLAB_INTFS`` (set by containerlab) or ``MIKRODOCK_DATA_NICS`` give the count; the highest
    etherN of ``MIKRODOCK_DATA_LINKS`` raises it."""
    subnets = parse_links_env(env.get("MIKRODOCK_DATA_LINKS", ""))
    count = 0
    for key in ("CLAB_INTFS", "MIKRODOCK_DATA_NICS"):
        value = env.get(key, "").strip()
        if value:
            if not value.isdigit():
                raise UsageError(f"{key}={value!r} is not a number", hint="give a count")
            count = max(count, int(value))
    if subnets:
        count = max(count, max(subnets) - 1)
    if count > MAX_NICS:
        raise UsageError(f"{count} data interfaces is too many", hint=f"at most {MAX_NICS}")
    if count and not tun.exists():
        return Wiring(0), f"no {tun} in the container: no data interfaces (add --device {tun})"
    return Wiring(count, subnets), ""


def _run(*argv: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise OSError(f"{' '.join(argv)}: {done.stderr.strip() or done.returncode}")


def _addresses() -> dict[str, list[ipaddress.IPv4Interface]]:
    done = subprocess.run(
        ["ip", "-j", "-4", "addr", "show"], capture_output=True, text=True, check=False
    )
    found: dict[str, list[ipaddress.IPv4Interface]] = {}
    if done.returncode != 0:
        return found
    for link in json.loads(done.stdout or "[]"):
        found[link["ifname"]] = [
            ipaddress.IPv4Interface(f"{a['local']}/{a['prefixlen']}")
            for a in link.get("addr_info", [])
        ]
    return found


class DataLinks:
    """Makes the TAPs, then joins container interfaces to them as they appear (a thread)."""

    def __init__(self, wiring: Wiring, note: Note, sys_net: Path = SYS_NET) -> None:
        self.wiring = wiring
        self.note = note
        self.sys_net = sys_net
        self.joined: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def make_taps(self) -> None:
        for ether in range(2, self.wiring.count + 2):
            tap = self.wiring.tap(ether)
            if not (self.sys_net / tap).exists():
                _run("ip", "tuntap", "add", "dev", tap, "mode", "tap")
            _run("ip", "link", "set", tap, "up")

    def _candidates(self) -> dict[int, str]:
        """etherN -> container interface, for the interfaces present now."""
        if not self.wiring.subnets:
            present = {p.name for p in self.sys_net.iterdir()} if self.sys_net.exists() else set()
            return {
                ether: f"eth{ether - 1}"
                for ether in range(2, self.wiring.count + 2)
                if f"eth{ether - 1}" in present
            }
        found: dict[int, str] = {}
        for name, addresses in _addresses().items():
            for ether, subnet in self.wiring.subnets.items():
                if any(address.ip in subnet for address in addresses):
                    found[ether] = name
        return found

    def _join(self, ether: int, interface: str) -> None:
        tap = self.wiring.tap(ether)
        mtu = (self.sys_net / interface / "mtu").read_text().strip()
        own = [] if not self.wiring.subnets else _addresses().get(interface, [])
        if not own:
            _run("ip", "addr", "flush", "dev", interface)
        _run("ip", "link", "set", tap, "mtu", mtu)
        for dev in (interface, tap):
            _run("ip", "link", "set", dev, "up")
            _run("tc", "qdisc", "replace", "dev", dev, "ingress")
        filters: list[list[str]] = []
        for address in own:
            # a compose network keeps the container's address: the engine may aim published
            # ports at it, so traffic to it (and ARP, copied) stays with the container
            filters.append(["protocol", "ip", "u32", "match", "ip", "dst", f"{address.ip}/32",
                            "flowid", "ffff:1"])  # fmt: skip
        if own:
            filters.append(["protocol", "arp", "u32", "match", "u32", "0", "0",
                            "action", "mirred", "egress", "mirror", "dev", tap])  # fmt: skip
        filters.append(["protocol", "all", "u32", "match", "u8", "0", "0",
                        "action", "mirred", "egress", "redirect", "dev", tap])  # fmt: skip
        for prio, rule in enumerate(filters, start=1):
            _run("tc", "filter", "add", "dev", interface, "parent", "ffff:", "prio", str(prio),
                 *rule)  # fmt: skip
        _run("tc", "filter", "add", "dev", tap, "parent", "ffff:", "protocol", "all",
             "u32", "match", "u8", "0", "0", "action", "mirred", "egress", "redirect",
             "dev", interface)  # fmt: skip
        self.joined[ether] = interface
        self.note(f"{interface} joined to ether{ether} ({tap})")

    def scan(self) -> None:
        """Join every interface that appeared since the last scan."""
        for ether, interface in sorted(self._candidates().items()):
            if ether in self.joined:
                continue
            try:
                self._join(ether, interface)
            except OSError as exc:
                self.note(f"cannot join {interface} to ether{ether}: {exc}")
                self.joined[ether] = ""  # said once; not tried again

    def start(self, interval: float = 0.5) -> None:
        if not self.wiring.count:
            return

        def loop() -> None:
            while not self._stop.is_set():
                self.scan()
                if len(self.joined) >= self.wiring.count:
                    return
                self._stop.wait(interval)

        self._thread = threading.Thread(target=loop, name="data-links", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
