"""PDF from the same ODT, by LibreOffice headless (`soffice --convert-to pdf`).

Both files read the same because one is made from the other. LibreOffice embeds the fonts it
uses (Noto CJK), so the PDF reads the same on a machine without them, and tags it (PDF/UA). Each conversion has
its own LibreOffice user profile in its own temporary folder, so conversions running at the
same time (web requests, the worker) never wait on one profile's lock. A conversion that takes
longer than `STEWARD_REPORT_PDF_TIMEOUT` seconds is stopped (its whole process group) and the
caller delivers the ODT instead, saying why.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# A tagged PDF (PDF/UA): headings, tables and reading order for screen readers, each chart
# picture with its text alternative, the language and the title from the ODT's metadata.
EXPORT_OPTIONS = json.dumps(
    {
        "UseTaggedPDF": {"type": "boolean", "value": "true"},
        "PDFUACompliance": {"type": "boolean", "value": "true"},
    },
    separators=(",", ":"),
)


def convert_to_pdf(odt: bytes) -> tuple[bytes | None, str]:
    """The PDF of an ODT, or None and what went wrong, said for the reader."""
    timeout = settings.STEWARD_REPORT_PDF_TIMEOUT
    with tempfile.TemporaryDirectory(prefix="steward-pdf-") as folder:
        work = Path(folder)
        source = work / "report.odt"
        source.write_bytes(odt)
        command = [
            settings.STEWARD_REPORT_SOFFICE,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            f"pdf:writer_pdf_Export:{EXPORT_OPTIONS}",
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        try:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,  # its own process group, to stop all of it
            )
        except OSError as exc:
            logger.error("PDF conversion: cannot run %s: %s", command[0], exc)
            return None, _(
                "The PDF could not be made: LibreOffice is not installed on the server. "
                "The ODT document is delivered instead."
            )
        try:
            _out, errors = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            logger.error("PDF conversion: stopped after %s s", timeout)
            return None, _(
                "The PDF could not be made within %(seconds)d seconds. "
                "The ODT document is delivered instead."
            ) % {"seconds": timeout}
        pdf = work / "out" / "report.pdf"
        if process.returncode != 0 or not pdf.is_file():
            logger.error(
                "PDF conversion: exit %s: %s", process.returncode, errors.decode(errors="replace")
            )
            return None, _(
                "The PDF could not be made: LibreOffice stopped with an error. "
                "The ODT document is delivered instead."
            )
        return pdf.read_bytes(), ""
