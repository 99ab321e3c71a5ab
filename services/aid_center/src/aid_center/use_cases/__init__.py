"""The aid center's use cases: plain functions of the unit of work (first) and a command.

Routes parse, authorise, build a command, call one use case and shape its answer; event
handlers call the same functions with the event's time. A use case reaches storage only
through ``uow.aid`` (the repository), takes "now" from ``uow.now()`` or from the event, seals
personal data with ``uow.cipher``, emits events through ``uow.publish`` (the outbox, in the same
transaction) and raises domain errors (``aid_center.domain.errors``), never HTTP errors."""
