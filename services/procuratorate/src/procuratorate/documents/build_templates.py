"""Builds the bundled letter template (`templates/notice_of_defense.docx`):
`.venv/bin/python -m procuratorate.documents.build_templates`. Staff restyle a copy in Word or
LibreOffice instead and name it in `PROCURATORATE_LETTER_TEMPLATE`; this is the default."""

from __future__ import annotations

from official_documents import layout
from procuratorate.documents.letter import TEMPLATE


def build_letter_template() -> layout.OfficialDocumentTemplate:
    doc = layout.OfficialDocumentTemplate()
    doc.paragraph("{{ title }}", layout.STYLE_TITLE)
    doc.blank()
    doc.paragraph("{{ document_number }}", layout.STYLE_NUMBER)
    doc.paragraph("{{ addressee_center }}：", layout.STYLE_ADDRESSEE)
    doc.paragraph(
        "犯罪嫌疑人{{ suspect_name }}涉嫌{{ charges }}一案，已由{{ transferring_agency }}"
        "移送本院审查起诉，因其属于{{ grounds }}，符合{{ citation }}，"
        "请指派律师为其提供辩护。",
        layout.STYLE_BODY,
    )
    doc.paragraph(
        "犯罪嫌疑人羁押场所或者住所：{{ place_of_detention_or_residence }}", layout.STYLE_FIELD
    )
    doc.paragraph("犯罪嫌疑人联系方式：{{ suspect_contact }}", layout.STYLE_FIELD)
    # One line each: a name and a contact on one line of 28 characters wrap mid-label. An
    # adult's letter says 无 once, rather than twice, to keep the letter to one page.
    doc.paragraph("{%p if has_guardian %}", layout.STYLE_FIELD)
    doc.paragraph("未成年犯罪嫌疑人法定代理人：{{ guardian_name }}", layout.STYLE_FIELD)
    doc.paragraph("法定代理人联系方式：{{ guardian_contact }}", layout.STYLE_FIELD)
    doc.paragraph("{%p else %}", layout.STYLE_FIELD)
    doc.paragraph("未成年犯罪嫌疑人法定代理人：无", layout.STYLE_FIELD)
    doc.paragraph("{%p endif %}", layout.STYLE_FIELD)
    doc.paragraph("案件承办人：{{ case_handler_name }}", layout.STYLE_FIELD)
    doc.paragraph("案件承办人联系方式：{{ case_handler_contact }}", layout.STYLE_FIELD)
    # The seal's place is the line under the text (印章顶端上距正文一行之内), pressing on the
    # unit and the date below it.
    doc.signature_block("（印章）", "{{ procuratorate_unit }}", "{{ issued_on }}")
    doc.footer("{{ copy_mark }}")
    return doc


def main() -> None:
    TEMPLATE.parent.mkdir(exist_ok=True)
    build_letter_template().save(TEMPLATE)
    print(TEMPLATE)


if __name__ == "__main__":
    main()
