"""``python -m notifier.replay_until``: the end offsets of the topics the notifier consumes, as
``NOTIFIER_REPLAY_UNTIL`` takes them (notifier.replay). Run it when a rebuild starts, with the
rebuilt instance's settings, and give its output to that instance."""

from __future__ import annotations

import asyncio
import json

from defense_messaging.kafka_client import topic_end_offsets
from notifier.settings import NotifierSettings


async def end_offsets(settings: NotifierSettings) -> dict[str, list[int]]:
    return await topic_end_offsets(
        settings.kafka, [settings.topic_procuratorate, settings.topic_aid_center]
    )


if __name__ == "__main__":
    print(json.dumps(asyncio.run(end_offsets(NotifierSettings()))))
