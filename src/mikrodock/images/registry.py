"""An async client for the distribution (OCI) registry API: manifests and blobs.

Works with Docker Hub, ghcr.io, quay.io and any registry that speaks ``/v2/``. Auth follows the
registry's ``WWW-Authenticate`` challenge: a bearer token from its token service (anonymous, or
with credentials from the docker config or a prompt), or basic auth. Registries on loopback
addresses and the ones named ``insecure`` are tried with HTTPS (certificate unchecked) and then
plain HTTP, as docker does. Every manifest and blob is checked against its digest; blobs land in
a :class:`BlobCache` and are downloaded concurrently.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from mikrodock.errors import ImageError
from mikrodock.images.auth import Challenge, Credentials, load_credentials, parse_challenge
from mikrodock.images.cache import BlobCache
from mikrodock.images.manifest import (
    ACCEPT,
    Descriptor,
    ImageManifest,
    check_digest,
    choose_platform,
    digest_of,
    parse_document,
)
from mikrodock.images.platforms import Platform
from mikrodock.images.progress import ByteProgress, SilentProgress
from mikrodock.images.reference import ImageReference

__all__ = ["CredentialPrompt", "RegistryClient"]

CredentialPrompt = Callable[[str], Credentials | None]
"""Asked with the registry name when it wants credentials the config does not hold."""

_RETRIES = 3


def _registry_errors(response: httpx.Response) -> str:
    try:
        data = response.json()
        errors = data.get("errors") or []
        return "; ".join(str(item.get("message") or item.get("code")) for item in errors)
    except (ValueError, AttributeError):
        return ""


class RegistryClient:
    """One registry host. Use as ``async with RegistryClient("ghcr.io") as client:``."""

    def __init__(
        self,
        registry: str,
        *,
        insecure: bool = False,
        credentials: Credentials | None = None,
        prompt: CredentialPrompt | None = None,
        cache: BlobCache | None = None,
        progress: ByteProgress | None = None,
        concurrency: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.registry = registry
        self._insecure = insecure or ImageReference(registry, "x").insecure_by_default
        self._credentials = credentials
        self._config_checked = credentials is not None
        self._prompt = prompt
        self._prompted = False
        self.cache = cache or BlobCache()
        self.progress = progress or SilentProgress()
        self._semaphore = asyncio.Semaphore(concurrency)
        self._client = httpx.AsyncClient(
            verify=not self._insecure,
            follow_redirects=True,
            timeout=httpx.Timeout(timeout, connect=15.0),
            transport=transport,
        )
        self._base: str | None = None
        self._tokens: dict[str, str] = {}
        self._basic: Credentials | None = None

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- connection and auth --------------------------------------------------------------

    async def _base_url(self) -> str:
        if self._base is not None:
            return self._base
        schemes = ("https", "http") if self._insecure else ("https",)
        last: Exception | None = None
        for scheme in schemes:
            try:
                response = await self._client.get(f"{scheme}://{self.registry}/v2/")
            except httpx.HTTPError as exc:
                last = exc
                continue
            if response.status_code in (200, 401):
                self._base = f"{scheme}://{self.registry}"
                return self._base
            last = ImageError(f"answered {response.status_code} on /v2/")
        hint = "check the registry name and that it is running"
        if not self._insecure:
            hint += "; for a registry without valid HTTPS pass --insecure-registry"
        raise ImageError(f"cannot reach registry {self.registry}: {last}", hint=hint) from last

    def _stored_credentials(self) -> Credentials | None:
        if not self._config_checked:
            self._config_checked = True
            self._credentials = load_credentials(self.registry)
        return self._credentials

    def _ask(self) -> bool:
        if self._prompt is None or self._prompted:
            return False
        self._prompted = True
        answer = self._prompt(self.registry)
        if answer is None:
            return False
        self._credentials = answer
        return True

    def _auth_failed(self, detail: str) -> ImageError:
        return ImageError(
            f"authentication to {self.registry} failed: {detail}",
            hint=f"check the user and password (docker login {self.registry})",
        )

    async def _fetch_token(self, challenge: Challenge, scope: str) -> None:
        realm = challenge.params.get("realm")
        if not realm:
            raise ImageError(f"{self.registry} sent a bearer challenge without realm")
        params = {"scope": challenge.params.get("scope") or scope}
        if "service" in challenge.params:
            params["service"] = challenge.params["service"]
        while True:
            credentials = self._stored_credentials()
            auth = (credentials.username, credentials.password) if credentials else None
            try:
                response = await self._client.get(realm, params=params, auth=auth)
            except httpx.HTTPError as exc:
                raise ImageError(f"cannot reach the token service {realm}: {exc}") from exc
            if response.status_code in (401, 403):
                if self._ask():
                    continue
                raise self._auth_failed("the token service refused the credentials")
            if response.status_code != 200:
                raise ImageError(f"token service {realm} answered {response.status_code}")
            data = response.json()
            token = data.get("token") or data.get("access_token")
            if not isinstance(token, str):
                raise ImageError(f"token service {realm} sent no token")
            self._tokens[scope] = token
            return

    def _auth_header(self, scope: str) -> dict[str, str]:
        if scope in self._tokens:
            return {"Authorization": f"Bearer {self._tokens[scope]}"}
        if self._basic is not None:
            pair = f"{self._basic.username}:{self._basic.password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        return {}

    async def _send(
        self, method: str, path: str, scope: str, headers: dict[str, str], what: str
    ) -> httpx.Response:
        """A streamed response that is not a 401; the caller closes it.

        On a 401: authenticate as the challenge says; with a token that stopped working (they
        expire), fetch a new one once; then ask for credentials (when a prompt was given).
        """
        url = await self._base_url() + path
        renewed = False
        for _attempt in range(5):
            request = self._client.build_request(
                method, url, headers={**headers, **self._auth_header(scope)}
            )
            try:
                response = await self._client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise ImageError(f"{what}: {exc or type(exc).__name__}") from exc
            if response.status_code != 401:
                return response
            challenge = parse_challenge(response.headers.get("www-authenticate", ""))
            await response.aclose()
            if challenge is None:
                raise self._auth_failed(f"{what} answered 401 without a challenge")
            if self._auth_header(scope):
                if challenge.scheme == "bearer" and not renewed:
                    renewed = True
                    self._tokens.pop(scope, None)
                elif not self._ask():
                    if challenge.scheme == "basic":
                        raise self._auth_failed("the registry refused the credentials")
                    raise ImageError(
                        f"{what}: access denied (the image does not exist or needs a login)",
                        hint="check the name; for a private image run"
                        f" docker login {self.registry}",
                    )
            await self._authenticate(challenge, scope)
        raise self._auth_failed(what)

    async def _authenticate(self, challenge: Challenge, scope: str) -> None:
        if challenge.scheme == "bearer":
            await self._fetch_token(challenge, scope)
        elif challenge.scheme == "basic":
            credentials = self._stored_credentials()
            if credentials is None and self._ask():
                credentials = self._credentials
            if credentials is None:
                raise ImageError(
                    f"{self.registry} wants a login", hint=f"run docker login {self.registry}"
                )
            self._basic = credentials
        else:
            raise ImageError(f"{self.registry} wants unsupported auth {challenge.scheme!r}")

    # -- manifests ------------------------------------------------------------------------

    async def manifest(self, ref: ImageReference, reference: str) -> tuple[bytes, str, str]:
        """Raw manifest bytes, its media type and digest (checked when pinned)."""
        scope = f"repository:{ref.repository}:pull"
        what = f"{ref.familiar}"
        response = await self._send(
            "GET", f"/v2/{ref.repository}/manifests/{reference}", scope, {"Accept": ACCEPT}, what
        )
        try:
            body = await response.aread()
        finally:
            await response.aclose()
        if response.status_code == 404:
            detail = _registry_errors(response) or "not found"
            raise ImageError(
                f"image {ref.familiar} not found on {ref.display_registry}: {detail}",
                hint="check the image name and tag",
            )
        if response.status_code != 200:
            detail = _registry_errors(response) or response.reason_phrase
            raise ImageError(f"{what}: registry answered {response.status_code} {detail}")
        digest = digest_of(body)
        if reference.startswith("sha"):
            check_digest(body, reference, f"manifest {reference}")
            digest = reference
        media_type = response.headers.get("content-type", "").split(";")[0].strip()
        return body, media_type, digest

    async def resolve(
        self, ref: ImageReference, platform: Platform
    ) -> tuple[ImageManifest, dict[str, Any], bytes]:
        """The image manifest for ``platform``, its parsed config and the config bytes."""
        body, media_type, digest = await self.manifest(ref, ref.reference)
        document = parse_document(body, digest, media_type, ref.familiar)
        if isinstance(document, list):
            entry = choose_platform(document, platform, ref.familiar)
            body, media_type, _ = await self.manifest(ref, entry.digest)
            document = parse_document(body, entry.digest, media_type, ref.familiar)
            if isinstance(document, list):
                raise ImageError(f"{ref.familiar}: nested indexes are not supported")
        config_path = await self.blob(ref, document.config, "config")
        config_bytes = config_path.read_bytes()
        try:
            config = json.loads(config_bytes)
        except ValueError as exc:
            raise ImageError(f"{ref.familiar}: the image config is not JSON") from exc
        found = Platform.from_json(config)
        if found.architecture and found.architecture != platform.architecture:
            there = str(found)
            raise ImageError(
                f"{ref.familiar} is a single-platform image for {there}, not {platform}",
                hint="use an image (or tag) built for the router's architecture",
            )
        return document, config, config_bytes

    # -- blobs ----------------------------------------------------------------------------

    async def blob(self, ref: ImageReference, descriptor: Descriptor, label: str) -> Path:
        """The blob's cached file, downloaded and verified first if needed."""
        cached = self.cache.get(descriptor.digest)
        if cached is not None:
            self.progress.start(descriptor.digest, label, descriptor.size)
            self.progress.advance(descriptor.digest, descriptor.size)
            self.progress.finish(descriptor.digest)
            return cached
        async with self._semaphore:
            for attempt in range(_RETRIES):
                try:
                    return await self._download(ref, descriptor, label)
                except _Transient as exc:
                    if attempt == _RETRIES - 1:
                        raise ImageError(
                            f"downloading {descriptor.digest} failed: {exc}",
                            hint="check the network and try again",
                        ) from exc
                    await asyncio.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")

    async def _download(self, ref: ImageReference, descriptor: Descriptor, label: str) -> Path:
        scope = f"repository:{ref.repository}:pull"
        key = descriptor.digest
        what = f"blob {descriptor.digest[:19]}"
        response = await self._send(
            "GET", f"/v2/{ref.repository}/blobs/{descriptor.digest}", scope, {}, what
        )
        try:
            if response.status_code == 404:
                raise ImageError(
                    f"{ref.familiar}: {what} is missing on the registry",
                    hint="the image is broken there; push it again",
                )
            if response.status_code >= 500 or response.status_code == 429:
                raise _Transient(f"registry answered {response.status_code}")
            if response.status_code != 200:
                raise ImageError(f"{what}: registry answered {response.status_code}")
            self.progress.start(key, label, descriptor.size)
            with self.cache.writer(descriptor.digest) as writer:
                try:
                    async for chunk in response.aiter_raw():
                        writer.write(chunk)
                        self.progress.advance(key, len(chunk))
                except httpx.TransportError as exc:
                    raise _Transient(str(exc) or type(exc).__name__) from exc
                path = writer.commit(f"{ref.familiar} {what}")
            self.progress.finish(key)
            return path
        finally:
            await response.aclose()

    async def blobs(self, ref: ImageReference, descriptors: Sequence[Descriptor]) -> list[Path]:
        """All ``descriptors`` downloaded concurrently, in their order."""
        tasks = [
            asyncio.ensure_future(
                self.blob(ref, item, f"layer {index + 1}/{len(descriptors)} {item.digest[7:19]}")
            )
            for index, item in enumerate(descriptors)
        ]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise


class _Transient(Exception):
    """A failure worth retrying (a broken connection, a 5xx)."""
