"""The center's printable documents: the reply to the procuratorate naming the appointed
lawyer (指派通知书/函告, Measures Art. 4), DOCX from a template and PDF by LibreOffice."""
