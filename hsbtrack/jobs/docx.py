"""HTML read into a Word file (python-docx), for kinds that make papers from the app's own pages: the
board report (:mod:`hsbtrack.audits.report_files`) and the yearly reports (:mod:`hsbtrack.yearly_reports.files`)
use this one converter. Headings become Word headings, tables real Word tables, summary lists two-column
tables, lists lists, and charts (``<figure><img src=...svg>``) PNG rasterised from the same SVG, fetched
inside the app as the person the job runs as. The document's language and title are set from
``<html lang>`` and ``<title>``. Elements with the class ``hsb-no-print`` (buttons, forms) are left out."""

import io
import re

from flask_babel import gettext as _

from hsbtrack.jobs.rendering import fetch_internal, svg_to_png

_SPACE = re.compile(r"\s+")
HEADINGS = {"h1": 0, "h2": 1, "h3": 2, "h4": 3}


def _text(element) -> str:
    return _SPACE.sub(" ", element.text_content()).strip()


def _classes(element) -> set:
    return set((element.get("class") or "").split())


def html_to_docx(html: str, progress=None) -> bytes:
    """A .docx of the rendered report: its headings as Word headings, its tables as Word tables, its
    lists as lists, its charts as PNG made from the same SVG; the document's language and title set."""
    import docx
    import lxml.html
    from docx.shared import Inches

    tree = lxml.html.fromstring(html)
    document = docx.Document()
    lang = tree.get("lang") or "en"
    document.core_properties.language = lang
    document.core_properties.title = _text(tree.find(".//title")) if tree.find(".//title") is not None else ""
    _set_language(document, lang)
    article = tree.find(".//article") if tree.find(".//article") is not None else tree.find(".//body")
    figures = len(article.findall(".//figure")) or 1
    done = [0]

    def table(element):
        rows = [tr for tr in element.iter("tr")]
        if not rows:
            return
        width = max(len(tr.findall("th")) + len(tr.findall("td")) for tr in rows)
        out = document.add_table(rows=0, cols=width)
        out.style = "Table Grid"
        for tr in rows:
            cells = out.add_row().cells
            for index, cell in enumerate([c for c in tr if c.tag in ("th", "td")]):
                cells[index].text = _text(cell)
                if cell.tag == "th" and tr.getparent().tag == "thead":
                    for run in cells[index].paragraphs[0].runs:
                        run.bold = True
        document.add_paragraph()

    def summary_list(element):
        rows = element.findall(".//div")
        out = document.add_table(rows=0, cols=2)
        out.style = "Table Grid"
        for row in rows:
            key, value = row.find("dt"), row.find("dd")
            if key is None or value is None:
                continue
            cells = out.add_row().cells
            cells[0].text, cells[1].text = _text(key), _text(value)
            for run in cells[0].paragraphs[0].runs:
                run.bold = True
        document.add_paragraph()

    def figure(element):
        image = element.find(".//img")
        if image is not None and image.get("src"):
            svg, _mimetype = fetch_internal(image.get("src"))
            document.add_picture(io.BytesIO(svg_to_png(svg)), width=Inches(6))
            done[0] += 1
            if progress:
                progress(40 + 50 * done[0] // figures, _("Drawing the charts"))
        caption = element.find(".//figcaption")
        if caption is not None:
            document.add_paragraph(_text(caption), style="Caption")

    def walk(element):
        for child in element:
            if not isinstance(child.tag, str) or child.tag in ("script", "style", "caption", "template"):
                continue
            if "hsb-no-print" in _classes(child) or child.get("hidden") is not None:
                continue
            tag = child.tag
            if tag in HEADINGS:
                text = _text(child)
                if text:
                    document.add_heading(text, HEADINGS[tag])
            elif tag == "table":
                table(child)
            elif tag == "dl":
                summary_list(child)
            elif tag == "figure":
                figure(child)
            elif tag in ("ul", "ol"):
                style = "List Number" if tag == "ol" else "List Bullet"
                for item in child.findall("li"):
                    if _text(item):
                        document.add_paragraph(_text(item), style=style)
            elif tag == "p":
                if _text(child):
                    document.add_paragraph(_text(child))
            elif any(isinstance(c.tag, str) and c.tag in ("p", "div", "table", "ul", "ol", "dl", "figure", "section",
                                                          "h2", "h3", "h4", "nav", "details")
                     for c in child):
                walk(child)
            elif _text(child):
                document.add_paragraph(_text(child))

    walk(article)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _set_language(document, lang: str) -> None:
    """The proofing language of the document's text (Word reads Welsh as Welsh)."""
    from docx.oxml.ns import qn
    from docx.oxml.shared import OxmlElement

    tag = {"cy": "cy-GB", "en": "en-GB"}.get(lang, lang)
    for name in ("Normal", "Heading 1", "Heading 2", "Heading 3", "Title"):
        rpr = document.styles[name].element.get_or_add_rPr()
        element = rpr.find(qn("w:lang"))
        if element is None:
            element = OxmlElement("w:lang")
            rpr.append(element)
        element.set(qn("w:val"), tag)
