"""RouterOS knowledge: the REST client, errors, versions and the per-version dialect."""
