"""mikrodock's JSON schema (draft 7) of the /app YAML that RouterOS 7.22 reads with ``/app/add``."""

from __future__ import annotations

from typing import Any

__all__ = ["APP_SCHEMA_7_22", "CATEGORIES", "PORT_PATTERNS"]

CATEGORIES = (
    "ai",
    "automation",
    "business",
    "communication",
    "database",
    "development",
    "file-management",
    "home-automation",
    "media",
    "media-management",
    "messaging",
    "monitoring",
    "networking",
    "productivity",
    "radio",
    "search",
    "security",
    "storage",
    "video",
)

_ADDRESS = r"(?:\d{1,3}(?:\.\d{1,3}){3}|\[[A-Za-z0-9]+\])"
_PORT = r"(?:\d{1,5}|\[[A-Za-z0-9]+\])"
PORT_PATTERNS = (
    # HOST:CTR[/tcp|/udp][:label], optionally behind an address
    rf"^(?:{_ADDRESS}:)?{_PORT}:{_PORT}(?:/(?:tcp|udp))?(?::[^:\r\n]+)?$",
    # HOST:CTR[:label][:tcp|:udp] (the style RouterOS 7.23 writes)
    rf"^(?:{_ADDRESS}:)?{_PORT}:{_PORT}(?::[^:/\r\n]+)?(?::(?:tcp|udp))?$",
)

_NAME_KEY = "^[a-zA-Z0-9_-]+$"
_STRINGS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
_STRING_OR_STRINGS: dict[str, Any] = {"oneOf": [{"type": "string"}, _STRINGS]}
_SCALAR_OR_NULL: dict[str, Any] = {"type": ["string", "number", "boolean", "null"]}

_PORT_ITEM: dict[str, Any] = {
    "oneOf": [
        {"type": "string", "anyOf": [{"pattern": pattern} for pattern in PORT_PATTERNS]},
        {
            "type": "object",
            "required": ["target", "published"],
            "additionalProperties": False,
            "properties": {
                "target": {"type": "integer", "description": "port inside the container"},
                "published": {"type": "integer", "description": "port on the router"},
                "protocol": {"enum": ["tcp", "udp"]},
                "name": {"type": "string", "description": "label of the redirect"},
                "app_protocol": {"type": "string"},
            },
        },
    ]
}

_SERVICE: dict[str, Any] = {
    "type": "object",
    "required": ["image"],
    "additionalProperties": False,
    "properties": {
        "image": {"type": "string", "description": "image, with or without its registry"},
        "container_name": {"type": "string"},
        "hostname": {"type": "string"},
        "entrypoint": _STRING_OR_STRINGS,
        "command": _STRING_OR_STRINGS,
        "ports": {"type": "array", "items": _PORT_ITEM},
        "environment": {
            "oneOf": [
                {"type": "object", "additionalProperties": _SCALAR_OR_NULL},
                _STRINGS,
                {"type": "null"},
            ]
        },
        "volumes": _STRINGS,
        "configs": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["source", "target"],
                "additionalProperties": False,
                "properties": {
                    "source": {"type": "string"},
                    "target": {"type": "string"},
                    "mode": {"type": ["integer", "string"]},
                },
            },
        },
        "restart": {"enum": ["no", "always", "on-failure", "unless-stopped"]},
        "depends_on": {"oneOf": [_STRINGS, {"type": "object"}]},
        "devices": _STRINGS,
        "user": {"type": "string"},
        "security_opt": _STRINGS,
        "shm_size": {"type": "string"},
        "stop_grace_period": {"type": ["string", "integer"]},
        "ulimits": {
            "type": "object",
            "additionalProperties": {
                "oneOf": [
                    {"type": "integer"},
                    {
                        "type": "object",
                        "required": ["soft", "hard"],
                        "additionalProperties": False,
                        "properties": {"soft": {"type": "integer"}, "hard": {"type": "integer"}},
                    },
                ]
            },
        },
        "build": {
            "oneOf": [
                {"type": "string"},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "context": {"type": "string"},
                        "dockerfile": {"type": "string"},
                        "args": {"type": "object"},
                    },
                },
            ]
        },
        "healthcheck": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "test": _STRING_OR_STRINGS,
                "interval": {"type": "string"},
                "timeout": {"type": "string"},
                "retries": {"type": "integer"},
                "start_period": {"type": "string"},
            },
        },
        "stdin_open": {"type": "boolean"},
        "expose": {"type": "array", "items": {"type": ["string", "integer"]}},
        "secrets": _STRINGS,
        "attach": {"type": "boolean"},
    },
}

APP_SCHEMA_7_22: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "RouterOS 7.22 /app YAML (mikrodock)",
    "type": "object",
    "required": ["services"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "descr": {"type": "string"},
        "page": {"type": "string"},
        "category": {"enum": list(CATEGORIES)},
        "icon": {"type": "string"},
        "default-credentials": {"type": ["string", "null"]},
        "credentials": {"type": "string"},
        "url-path": {"type": "string"},
        "option": {"type": "boolean"},
        "auto-update": {"type": "boolean"},
        "services": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": _NAME_KEY},
            "additionalProperties": _SERVICE,
        },
        "volumes": {
            "type": "object",
            "propertyNames": {"pattern": _NAME_KEY},
            "additionalProperties": {"type": ["object", "null"]},
        },
        "networks": {
            "type": "object",
            "propertyNames": {"pattern": _NAME_KEY},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"name": {"type": "string"}, "external": {"type": "boolean"}},
            },
        },
        "configs": {
            "type": "object",
            "propertyNames": {"pattern": _NAME_KEY},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"content": {"type": "string"}},
            },
        },
    },
}
