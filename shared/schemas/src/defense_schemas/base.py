"""The base of every contract model and the one registry of events.

An event is a `BaseEvent` subclass that sets `event_type` (and `schema_version` when it is not 1)
and belongs to a producer (via the producer's base class in `defense_schemas.events`). Defining
the class registers it; there is no other way to declare an event.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from defense_schemas.topics import Producer, topic_for_producer


class ContractModel(BaseModel):
    """Frozen, and strict at the source: building a model with an unknown field fails, so a
    producer's typo never reaches the wire. Readers are tolerant instead: `decode_event`
    validates with `extra="ignore"`, so a payload carrying optional fields added later still
    reads (the generated schemas therefore leave objects open)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


_EVENT_TYPE = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_registry: dict[tuple[str, int], type[BaseEvent]] = {}

EVENT_REGISTRY: Mapping[tuple[str, int], type[BaseEvent]] = MappingProxyType(_registry)
"""Every event model, by (event_type, schema_version). Filled as the event modules load;
importing `defense_schemas` loads them all."""


class BaseEvent(ContractModel):
    """An event's payload. Subclasses set the ClassVars; the envelope carries the rest."""

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    producer: ClassVar[Producer]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "event_type" not in cls.__dict__:
            return  # a grouping base such as ProcuratorateEvent, not an event
        key = (cls.event_type, cls.schema_version)
        if not _EVENT_TYPE.match(cls.event_type):
            raise TypeError(f"{cls.__qualname__}: event_type {cls.event_type!r} is not PascalCase")
        if not isinstance(cls.schema_version, int) or cls.schema_version < 1:
            raise TypeError(f"{cls.__qualname__}: schema_version must be an int >= 1")
        if not isinstance(getattr(cls, "producer", None), Producer):
            raise TypeError(f"{cls.__qualname__}: subclass a producer's base, not BaseEvent")
        if not (cls.__doc__ or "").strip():
            raise TypeError(f"{cls.__qualname__}: an event documents itself in a docstring")
        if key in _registry:
            raise TypeError(f"{key} is registered twice: {_registry[key]!r} and {cls!r}")
        _registry[key] = cls

    @classmethod
    def schema_name(cls) -> str:
        """`<EventType>.v<N>`: the name of this event's schema files and AsyncAPI message."""
        return f"{cls.event_type}.v{cls.schema_version}"

    @classmethod
    def topic(cls) -> str:
        """The topic this event is published to: its producer's topic."""
        return topic_for_producer(cls.producer)


def event_class(event_type: str, schema_version: int) -> type[BaseEvent]:
    """The model registered for (event_type, schema_version); KeyError when there is none."""
    return _registry[(event_type, schema_version)]


_sorted_registry: tuple[type[BaseEvent], ...] = ()


def registered_events() -> tuple[type[BaseEvent], ...]:
    """Every registered event, ordered by (event_type, schema_version)."""
    global _sorted_registry
    # Sorted again only when the registry grew (it never shrinks and a key is never replaced):
    # every consumed record asks which event types its topic accepts.
    if len(_sorted_registry) != len(_registry):
        _sorted_registry = tuple(_registry[key] for key in sorted(_registry))
    return _sorted_registry
