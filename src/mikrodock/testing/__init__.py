"""Test support: the pytest plugin (fixtures for a simulated router, a CHR, a lab) and the
test guest that real QEMU boots the way CHR boots."""
