"""Documents people file and read: the verbale di verifica (PDF/A) and the PDF exports."""
