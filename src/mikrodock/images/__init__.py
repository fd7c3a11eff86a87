"""Images: registry client, layer flattening, the archive RouterOS imports, upload.

Modules (import what you need; this package imports nothing, so ``reference`` stays cheap):

- ``reference``: ``parse_reference`` (docker's name rules; RouterOS ``remote-image`` forms)
- ``platforms``: RouterOS architecture -> image platform, variant fallbacks
- ``registry``: async distribution/OCI client (auth, digests, blob cache, concurrent downloads)
- ``flatten`` / ``tarscan``: streamed flattening of layers into one tar
- ``archive``: the Docker v1 archive with one layer; ``sources``: docker/OCI archives, layouts
- ``convert``: ``save_image`` and friends; ``inspect``: will RouterOS take this file?
- ``upload`` / ``load``: one-shot HTTP server + ``/tool/fetch``; convert-and-upload
"""
