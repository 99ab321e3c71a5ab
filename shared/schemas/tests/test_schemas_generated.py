"""The committed JSON Schema and AsyncAPI files are what the models generate, and say what the
architecture says."""

from __future__ import annotations

import json

from defense_schemas import EVENT_REGISTRY, registered_events
from defense_schemas.generate import (
    GENERATED_DIR,
    asyncapi_document,
    generated_files,
    main,
    publish,
    stale_files,
    write,
)


def test_committed_files_are_not_stale(capsys):
    assert main(["--check"]) == 0, capsys.readouterr().err


def test_check_lists_changed_missing_and_leftover_files(tmp_path, capsys):
    write(tmp_path)
    assert stale_files(tmp_path) == []
    (tmp_path / "jsonschema" / "CaseReceived.v1.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "asyncapi.json").unlink()
    (tmp_path / "jsonschema" / "CaseForgotten.v1.json").write_text("{}\n", encoding="utf-8")
    assert main(["--check", "--out-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    for name in ("CaseReceived.v1.json", "asyncapi.json", "CaseForgotten.v1.json"):
        assert name in err
    write(tmp_path)
    assert stale_files(tmp_path) == []
    assert not (tmp_path / "jsonschema" / "CaseForgotten.v1.json").exists()


def test_output_is_deterministic_and_ends_with_a_newline():
    first, second = generated_files(), generated_files()
    assert first == second
    assert all(text.endswith("}\n") for text in first.values())


def test_one_schema_file_per_event_plus_the_envelope():
    names = {p.name for p in (GENERATED_DIR / "jsonschema").glob("*.json")}
    assert names == {f"{cls.schema_name()}.json" for cls in registered_events()} | {"envelope.json"}
    schema = json.loads((GENERATED_DIR / "jsonschema" / "LawyerAssigned.v1.json").read_text())
    assert schema["$id"] == "urn:defense-coverage:schema:LawyerAssigned.v1"
    assert schema["title"] == "LawyerAssigned"
    assert schema["x-topic"] == "aid-center.events"
    assert all("description" in prop for prop in schema["properties"].values())


def test_asyncapi_channels_carry_each_topics_messages():
    doc = asyncapi_document()
    assert doc["asyncapi"] == "3.0.0"
    assert doc["servers"]["local"] == {
        "host": "127.0.0.1:59092",
        "protocol": "kafka",
        "description": doc["servers"]["local"]["description"],
    }
    for cls in EVENT_REGISTRY.values():
        channel = doc["channels"][cls.topic()]
        assert channel["address"] == cls.topic()
        assert cls.schema_name() in channel["messages"]
        message = doc["components"]["messages"][cls.schema_name()]
        assert message["bindings"]["kafka"]["key"]["format"] == "uuid"
        payload = message["payload"]
        assert payload["properties"]["event_type"]["const"] == cls.event_type
        assert payload["properties"]["payload"]["$ref"] == (
            f"#/components/schemas/{cls.schema_name()}"
        )
        assert message["examples"][0]["payload"]["event_type"] == cls.event_type


def test_asyncapi_operations_follow_the_architecture():
    operations = asyncapi_document()["operations"]
    wiring = {
        (op["action"], name.split(".")[0], op["channel"]["$ref"].removeprefix("#/channels/"))
        for name, op in operations.items()
    }
    assert wiring == {
        ("send", "agency", "intake.case-transfers"),
        ("receive", "procuratorate", "intake.case-transfers"),
        ("send", "procuratorate", "procuratorate.events"),
        ("receive", "aid-center", "procuratorate.events"),
        ("receive", "notifier", "procuratorate.events"),
        ("send", "aid-center", "aid-center.events"),
        ("receive", "procuratorate", "aid-center.events"),
        ("receive", "notifier", "aid-center.events"),
        ("send", "notifier", "notifier.events"),
    }


def test_every_local_reference_in_asyncapi_resolves():
    doc = asyncapi_document()

    def refs(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in set(refs(doc)):
        target = doc
        for token in ref.removeprefix("#/").split("/"):
            target = target[token]


def test_publish_writes_missing_snapshots_and_never_overwrites(tmp_path):
    written = publish(tmp_path)
    assert len(written) == len(EVENT_REGISTRY) + 1
    snapshot = tmp_path / "CaseReceived.v1.json"
    snapshot.write_text('{"frozen": true}\n', encoding="utf-8")
    snapshot.with_name("LawyerAssigned.v1.json").unlink()
    assert publish(tmp_path) == [tmp_path / "LawyerAssigned.v1.json"]
    assert snapshot.read_text(encoding="utf-8") == '{"frozen": true}\n'
