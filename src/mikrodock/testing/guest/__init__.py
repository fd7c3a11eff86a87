"""The test guest: a tiny disk that real QEMU boots the way a RouterOS CHR boots.

SeaBIOS, an MBR, a FAT16 partition with syslinux, a Debian cloud kernel and a busybox
initramfs that takes an address by DHCP on virtio-net, answers a RouterOS-shaped REST API on
port 80 (user ``admin``, empty password until changed), prints the ``MikroTik Login:`` banner
on the serial console and powers off on the ACPI power button. See docs/TEST-GUEST.md.
"""

from __future__ import annotations

from mikrodock.testing.guest.build import DEFAULT_VERSION, build_guest, guest_image

__all__ = ["DEFAULT_VERSION", "build_guest", "guest_image"]
