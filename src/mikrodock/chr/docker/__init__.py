"""Docker packaging of one CHR: the build context (``dockerfile``) and the container's
entrypoint (``serve``: one router in the foreground)."""
