"""``python -m notifier.replay_until``: the end offsets of the topics the notifier consumes, as
``NOTIFIER_REPLAY_UNTIL`` takes them (notifier.replay). Run it when a rebuild starts, with the
rebuilt instance's settings, and give its output to that instance."""

from __future__ import annotations

import asyncio
import json

from aiokafka import AIOKafkaConsumer, TopicPartition

from notifier.settings import NotifierSettings


async def end_offsets(settings: NotifierSettings) -> dict[str, list[int]]:
    topics = [settings.topic_procuratorate, settings.topic_aid_center]
    consumer = AIOKafkaConsumer(enable_auto_commit=False, **settings.kafka.options("replay"))
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = {topic: sorted(consumer.partitions_for_topic(topic) or ()) for topic in topics}
        ends = await consumer.end_offsets(
            [TopicPartition(topic, p) for topic, ps in partitions.items() for p in ps]
        )
        return {
            topic: [ends[TopicPartition(topic, p)] for p in ps] for topic, ps in partitions.items()
        }
    finally:
        await consumer.stop()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(end_offsets(NotifierSettings()))))
