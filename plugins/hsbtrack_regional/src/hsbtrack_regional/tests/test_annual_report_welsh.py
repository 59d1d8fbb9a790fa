"""Issue 18: the North Wales demo produces the Welsh annual report in Welsh. The demo makes the board's annual
report for the last year with its narrative in Welsh; a Welsh-speaking coordinator asks for its PDF (the job runs
in their language) and reads it back: the Welsh title and section headings, the Welsh narrative, the authorities'
Welsh names, the round's figures — and none of the English interface. Its pages are drawn to PNG for a person
to look at (test-artifacts/)."""

import io
import re
import subprocess
from pathlib import Path

from sqlalchemy import select

from hsbtrack.extensions import db
from hsbtrack.testing import csrf_token, login

ARTIFACTS = Path(__file__).resolve().parents[5] / "test-artifacts"
ENGLISH = ("Regional safeguarding board annual report", "Summary", "What the board did", "How effective it was",
           "Learning", "Priorities for the year ahead", "Contents", "The regional figures for the year",
           "The regional picture", "Domain", "Median", "Action progress", "Shared commissioning", "Page 1",
           "Version", "Period", "Region", "Not written yet", "Anglesey", "Wrexham", "Denbighshire", "Flintshire")
# (what people entered stays as they wrote it: the demo's commissioning arrangement was entered in English)


def test_the_demo_annual_report_reads_in_welsh(app, client, world):
    import pdfplumber

    from hsbtrack.areas.models import Region
    from hsbtrack.jobs import services as jobs
    from hsbtrack.yearly_reports import services as yearly
    from hsbtrack_regional import services
    from hsbtrack_regional.demo import DEMO_COORDINATOR, WELSH_NARRATIVE, demo

    coordinator = world.user(DEMO_COORDINATOR)
    demo(world.area("Demo area"))
    region = db.session.scalar(select(Region).where(Region.name == services.NORTH_WALES))
    [report] = yearly.reports_for(region)
    assert report.kind == "regional.annual_report" and report.period_end.month == 3
    assert yearly.texts(report) == WELSH_NARRATIVE

    login(client, coordinator)
    client.get("/language/cy")
    url = f"/regions/{region.id}/yearly-reports/{report.id}"
    started = client.post(f"{url}/file", data={"format": "pdf", "version": "1", "csrf_token": csrf_token(client, url)})
    assert started.status_code == 302
    assert jobs.run_pending() == 1
    ready = client.get(started.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="(/jobs/\d+/download)"', ready)
    assert link, ready
    data = client.get(link.group(1)).data
    assert data.startswith(b"%PDF")
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        pages = [p.extract_text() or "" for p in pdf.pages]
        lang, title = pdf.doc.catalog.get("Lang"), pdf.metadata.get("Title", "")
    text = " ".join(" ".join(pages).split())

    assert lang in (b"cy", "cy")
    assert title.startswith("Adroddiad blynyddol y bwrdd diogelu rhanbarthol") and "Gogledd Cymru" in title
    for heading in ("Adroddiad blynyddol y bwrdd diogelu rhanbarthol", "Crynodeb", "Beth wnaeth y bwrdd",
                    "Pa mor effeithiol y bu", "Dysgu", "Blaenoriaethau ar gyfer y flwyddyn i ddod", "Cynnwys",
                    "Ffigurau rhanbarthol y flwyddyn", "Y darlun rhanbarthol", "Cynnydd y camau gweithredu",
                    "Comisiynu ar y cyd"):
        assert heading in text, heading
    for words in WELSH_NARRATIVE.values():
        for para in words.split("\n\n"):
            assert para in text, para
    for name in ("Gogledd Cymru", "Ynys Môn", "Wrecsam", "Conwy"):
        assert name in text, name
    assert "Cylch T1" in text  # the round's roll-up, in its Welsh caption
    for english in ENGLISH:
        assert english not in text, english

    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "annual-report-cy.pdf").write_bytes(data)
    for number in range(1, len(pages) + 1):
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", str(number), "-l", str(number), "-singlefile",
                        str(ARTIFACTS / "annual-report-cy.pdf"), str(ARTIFACTS / f"annual-report-cy-page-{number}")],
                       check=True)
