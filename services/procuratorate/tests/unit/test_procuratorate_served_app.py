"""The app that ``python -m procuratorate serve`` runs is built from the service definition
alone (service_runtime.cli): whatever the tests' factory adds on top would be missing there."""

from procuratorate.domain.defense_path import DomainError
from procuratorate.service import definition
from procuratorate.settings import ProcuratorateSettings
from service_runtime.app import build_app


def test_the_served_app_answers_domain_refusals_with_their_http_error() -> None:
    app = build_app(definition(), ProcuratorateSettings())

    assert DomainError in app.exception_handlers
