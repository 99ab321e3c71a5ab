"""Builds the bundled reply template (`templates/assignment_reply.docx`):
`.venv/bin/python -m aid_center.documents.build_templates`. Staff restyle a copy in Word or
LibreOffice instead and name it in `AID_CENTER_REPLY_TEMPLATE`; this is the default."""

from __future__ import annotations

from aid_center.documents.reply import TEMPLATE
from official_documents import layout


def build_reply_template() -> layout.OfficialDocumentTemplate:
    doc = layout.OfficialDocumentTemplate()
    doc.paragraph("{{ title }}", layout.STYLE_TITLE)
    doc.blank()
    doc.paragraph("{{ document_number }}", layout.STYLE_NUMBER)
    doc.paragraph("{{ procuratorate_unit }}：", layout.STYLE_ADDRESSEE)
    doc.paragraph(
        "{{ opening }}根据{{ legal_basis }}的规定，本中心{{ appointment }}{{ firm_name }}"
        "{{ lawyer_name }}律师担任犯罪嫌疑人{{ suspect_name }}（涉嫌{{ charges }}）的辩护人。"
        "现将辩护律师的姓名、所属单位及联系方式函告如下：",
        layout.STYLE_BODY,
    )
    doc.paragraph("辩护律师：{{ lawyer_name }}", layout.STYLE_FIELD)
    doc.paragraph("所属单位：{{ firm_name }}", layout.STYLE_FIELD)
    doc.paragraph("联系方式：{{ lawyer_contact }}", layout.STYLE_FIELD)
    doc.paragraph("特此函告。", layout.STYLE_BODY)
    doc.signature_block("（印章）", "{{ center }}", "{{ issued_on }}")
    doc.footer("{{ copy_mark }}")
    return doc


def main() -> None:
    TEMPLATE.parent.mkdir(exist_ok=True)
    build_reply_template().save(TEMPLATE)
    print(TEMPLATE)


if __name__ == "__main__":
    main()
