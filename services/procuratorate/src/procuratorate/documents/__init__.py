"""The procuratorate's printable documents: the notice-of-defense letter (DOCX from a template,
PDF by LibreOffice) and the ledger workbook's download names."""
