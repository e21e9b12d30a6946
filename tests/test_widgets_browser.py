"""The composer and the dashboard in JupyterLab, in a real (headless) Chromium.

One JupyterLab server and one notebook serve every test here, in order: the notebook
shows a ``TriggerComposer`` and a ``ScheduleDashboard`` over a scheduler with a job
that prints and fails every second. The tests type into the composer as a user does
(key by key, no Enter), click the dashboard's buttons, and check what the page shows:
texts, red borders, that nothing is wider than its container at 900, 1440 and 1920
pixels with the file browser open, that no traceback reaches the notebook's cells,
and that the browser's console stays free of errors.

Without Chromium (or Playwright, or JupyterLab) the module is skipped, saying how to
enable it; with ``APSNB_REQUIRE_BROWSER=1`` (``.ci/run``) it fails instead. A failing
step saves a screenshot and prints where. ``APSNB_DOCS_IMAGES=1`` also writes the
screenshots that docs/widgets.md shows into docs/images/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from .browser_harness import REPO, chromium, require_browser, running_lab

pytestmark = pytest.mark.timeout(120)

ERROR_RGB = "rgb(198, 40, 40)"  # the stylesheet's #c62828
#: How long the page may take to show a change (a kernel round trip and the
#: composer's debounce), on a busy 2-core machine.
WAIT_MS = 15_000

NOTEBOOK = [
    """\
from apsnb.widgets import TriggerComposer
from apsnb.widgets._forms import TriggerForm

form = TriggerForm(timezone="Europe/Helsinki")
form.cron.day_of_week = "mon-fri"
composer = TriggerComposer(form)
composer""",
    """\
from apsnb import AsyncScheduler
from apsnb.triggers.cron import CronTrigger
from apsnb.triggers.interval import IntervalTrigger
from apsnb.widgets import ScheduleDashboard

scheduler = AsyncScheduler()
await scheduler.start_in_background()

def fails():
    print("a line the job printed")
    raise ValueError("this job fails on purpose")

def report():
    return 42

await scheduler.add_schedule(fails, IntervalTrigger(seconds=1), id="failing-job")
await scheduler.add_schedule(
    report,
    CronTrigger.from_crontab("*/5 * * * *", timezone="Europe/Helsinki"),
    id="weekday-report-for-the-team",
)
dashboard = ScheduleDashboard(scheduler, history=8)
dashboard""",
]

# Elements of the two widgets that stick out of their parent (by more than a pixel).
_OVERFLOW_JS = """() => {
  const found = [];
  for (const root of document.querySelectorAll('.apsnb-composer, .apsnb-dashboard')) {
    for (const element of root.querySelectorAll('*')) {
      const parent = element.parentElement;
      if (!parent || element.offsetParent === null) continue;
      const box = element.getBoundingClientRect();
      const outer = parent.getBoundingClientRect();
      if (box.width > 0 && box.right > outer.right + 1) {
        found.push(`${element.tagName}.${element.className} by ${
          Math.round(box.right - outer.right)}px`);
      }
    }
  }
  return found;
}"""
# Cells of the fire-time table that take more than one line.
_WRAPPED_CELLS_JS = """() => Array.from(
  document.querySelectorAll('.apsnb-composer .apsnb-fire-times td')
).filter(cell => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  const lines = new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top)));
  return lines.size > 1;
}).map(cell => cell.textContent)"""
# The text of the notebook's output areas, leaving out the widgets themselves.
_CELL_TEXT_JS = """() => Array.from(document.querySelectorAll('.jp-OutputArea-output'))
  .filter(output => !output.querySelector('.jupyter-widgets'))
  .map(output => output.innerText).join('\\n')"""


class Session:
    """The page showing the notebook, and what its console said."""

    def __init__(self, page: Any, screenshots: Path) -> None:
        self.page = page
        self.screenshots = screenshots
        self.console_errors: list[str] = []
        page.on(
            "console",
            lambda message: (
                self.console_errors.append(message.text)
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Run a step; if it fails, save a screenshot and say where."""
        try:
            yield
        except BaseException:
            path = self.screenshots / f"{re.sub(r'[^A-Za-z0-9]+', '-', name)}.png"
            self.page.screenshot(path=str(path))
            print(f"screenshot of the failed step {name!r}: {path}")
            raise

    def composer(self, selector: str = "") -> Any:
        return self.page.locator(f".apsnb-composer {selector}".strip()).first

    def kind(self, label: str) -> Any:
        """The kind button of the composer itself (children of an And/Or have some)."""
        return self.composer().get_by_role("button", name=label, exact=True).first

    def field(self, path: str) -> Any:
        css = path.replace(".", "-")
        return self.composer(f".apsnb-field-{css}").locator("input").first

    def message(self, path: str) -> Any:
        return self.composer(f".apsnb-message-{path.replace('.', '-')}")

    def type_into(self, path: str, text: str) -> None:
        """Replace a field's text key by key, as a user types (no Enter, no Tab)."""
        field = self.field(path)
        field.click()
        field.press("Control+a")
        field.press("Backspace")
        field.press_sequentially(text, delay=40)

    def row(self, schedule_id: str) -> Any:
        return self.page.locator(".apsnb-row", has_text=schedule_id).first

    def click_row_button(self, schedule_id: str, tooltip_start: str) -> None:
        self.row(schedule_id).locator(f"button[title^='{tooltip_start}']").click()


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    require_browser()
    from playwright.sync_api import expect

    base = tmp_path_factory.mktemp("lab")
    screenshots = tmp_path_factory.mktemp("screenshots")
    with running_lab(base) as lab, chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        session = Session(page, screenshots)
        with session.step("open the notebook"):
            page.goto(lab.write_notebook("widgets.ipynb", NOTEBOOK))
            page.wait_for_function("window.jupyterapp !== undefined", timeout=60_000)
            expect(page.locator(".jp-Notebook")).to_be_visible(timeout=60_000)
            expect(page.get_by_text("| Idle")).to_be_visible(timeout=60_000)
            if not page.locator("#filebrowser").is_visible():
                page.evaluate(
                    "window.jupyterapp.commands.execute('filebrowser:activate')"
                )
            expect(page.locator("#filebrowser")).to_be_visible()
            page.evaluate(
                "window.jupyterapp.commands.execute('notebook:run-all-cells')"
            )
            expect(session.composer()).to_be_visible(timeout=60_000)
            expect(page.locator(".apsnb-row").first).to_be_visible(timeout=60_000)
        yield session
        page.evaluate("window.jupyterapp.commands.execute('kernelmenu:shutdown')")


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def test_composer_shows_description_fire_times_timeline_and_code(
    session: Session,
) -> None:
    with session.step("composer preview"):
        expect(session.composer()).to_contain_text(
            "at 09:00 on Monday through Friday (Europe/Helsinki)"
        )
        rows = session.composer(".apsnb-fire-times").locator("tr")
        expect(rows).to_have_count(11)  # a header and the next 10 fire times
        expect(rows.nth(1)).to_contain_text("09:00:00")
        expect(session.composer(".apsnb-timeline")).to_be_visible()
        loaded = session.composer(".apsnb-timeline").evaluate(
            "image => image.complete && image.naturalWidth > 0"
        )
        assert loaded
        expect(session.composer("pre")).to_contain_text(
            "CronTrigger(day_of_week='mon-fri', hour='9', minute='0', "
            "timezone='Europe/Helsinki')"
        )


def test_screenshots_for_the_docs(session: Session) -> None:
    """Small pictures of both widgets; written into docs/images with
    APSNB_DOCS_IMAGES=1, else next to the failure screenshots."""
    page = session.page
    target = (
        REPO / "docs" / "images"
        if os.environ.get("APSNB_DOCS_IMAGES") == "1"
        else session.screenshots
    )
    target.mkdir(exist_ok=True)
    with session.step("screenshots"):
        page.set_viewport_size({"width": 1280, "height": 1600})
        page.evaluate(
            "window.jupyterapp.commands.execute('application:toggle-left-area')"
        )
        expect(page.locator(".apsnb-feed details").nth(1)).to_be_visible(
            timeout=WAIT_MS
        )
        page.wait_for_timeout(500)
        for name, locator in (
            ("composer", session.composer()),
            ("dashboard", page.locator(".apsnb-dashboard").first),
        ):
            path = target / f"{name}.png"
            locator.screenshot(path=str(path))
            _shrink(path)
            assert path.stat().st_size < 150_000
        page.evaluate(
            "window.jupyterapp.commands.execute('application:toggle-left-area')"
        )


def test_the_preview_follows_each_key_typed(session: Session) -> None:
    with session.step("typing a bad minute"):
        session.type_into("cron.minute", "61")
        expect(session.message("cron.minute")).to_contain_text(
            "61 is out of range (0-59)", timeout=WAIT_MS
        )
        expect(session.field("cron.minute")).to_have_css("border-top-color", ERROR_RGB)
        expect(session.composer()).to_contain_text("Fix the fields marked in red")
    with session.step("correcting it"):
        session.field("cron.minute").press("Backspace")  # "6": no Enter
        expect(session.message("cron.minute")).to_be_hidden(timeout=WAIT_MS)
        expect(session.field("cron.minute")).not_to_have_css(
            "border-top-color", ERROR_RGB
        )
        expect(session.composer(".apsnb-fire-times")).to_contain_text("09:06:00")


def test_every_bad_field_shows_its_message_and_red_border(session: Session) -> None:
    with session.step("a bad crontab and a bad zone"):
        session.kind("Crontab").click()
        session.type_into("crontab", "61 * * * *")
        session.type_into("timezone", "Mars/Base")
        expect(session.message("crontab")).to_contain_text(
            "minute='61'", timeout=WAIT_MS
        )
        expect(session.message("timezone")).to_contain_text(
            "unknown time zone 'Mars/Base'"
        )
        for path in ("crontab", "timezone"):
            expect(session.field(path)).to_have_css("border-top-color", ERROR_RGB)
    with session.step("both fixed"):
        session.type_into("crontab", "30 8 * * *")
        session.type_into("timezone", "Europe/Helsinki")
        expect(session.message("crontab")).to_be_hidden(timeout=WAIT_MS)
        expect(session.message("timezone")).to_be_hidden()
        expect(session.composer()).to_contain_text("at 08:30")


@pytest.mark.parametrize("width", [900, 1440, 1920])
def test_nothing_is_clipped_or_wrapped_with_the_side_panel_open(
    session: Session, width: int
) -> None:
    page = session.page
    with session.step(f"layout at {width} px"):
        page.set_viewport_size({"width": width, "height": 1000})
        expect(page.locator("#filebrowser")).to_be_visible()
        page.wait_for_timeout(500)  # let the page lay out again
        assert page.evaluate(_OVERFLOW_JS) == []
        assert page.evaluate(_WRAPPED_CELLS_JS) == []
        for button in session.row("failing-job").locator("button").all():
            if button.is_visible():
                icon = button.locator("i").first
                assert icon.bounding_box()["width"] > 8  # the icon shows, whole
    with session.step(f"And/Or at {width} px"):
        session.kind("And / Or").click()
        add = session.composer().get_by_role("button", name="Add trigger")
        if session.composer(".apsnb-fire-times").count() == 0 or width == 900:
            add.click()
            add.click()
        expect(session.composer(".apsnb-timeline")).to_be_visible(timeout=WAIT_MS)
        page.wait_for_timeout(500)
        assert page.evaluate(_OVERFLOW_JS) == []
        assert page.evaluate(_WRAPPED_CELLS_JS) == []
        session.kind("Cron").click()


def test_failing_jobs_fill_the_feed_not_the_cell(session: Session) -> None:
    page = session.page
    with session.step("the feed"):
        page.set_viewport_size({"width": 1440, "height": 1000})
        # The newest entry is shown first (the CSS order of its slot is 0).
        newest = page.locator(".apsnb-feed .widget-html[style*='order: 0'] details")
        expect(newest).to_contain_text("ValueError: this job fails on purpose")
        newest.locator("summary").click()
        opened = page.locator(".apsnb-feed details[open]")
        expect(opened).to_contain_text("a line the job printed")
        expect(opened).to_contain_text("Traceback (most recent call last)")
        page.wait_for_timeout(2500)  # newer failures arrive meanwhile
        expect(opened).to_have_count(1)  # and the opened one stays open
    with session.step("the cell stays quiet"):
        text = page.evaluate(_CELL_TEXT_JS)
        for noise in ("Traceback", "ValueError", "a line the job printed", "raised"):
            assert noise not in text


def test_pause_resume_run_now_edit_and_remove(session: Session) -> None:
    page = session.page
    report = "weekday-report-for-the-team"
    message = page.locator(".apsnb-dashboard .apsnb-said")
    with session.step("pause and resume"):
        session.click_row_button(report, "Pause")
        expect(session.row(report)).to_contain_text("paused", timeout=WAIT_MS)
        expect(message).to_contain_text(f"paused '{report}'")
        session.click_row_button(report, "Resume")
        expect(session.row(report)).not_to_contain_text("paused", timeout=WAIT_MS)
    with session.step("run now"):
        session.click_row_button(report, "Run now")
        expect(
            page.locator(".apsnb-feed").get_by_text(re.compile(f"{report} .* success"))
        ).to_be_visible(timeout=WAIT_MS)
        expect(message).to_contain_text(f"started a run of '{report}'")
    with session.step("edit"):
        session.click_row_button(report, "Edit")
        panel = page.locator(".apsnb-dashboard .apsnb-composer")
        expect(panel).to_be_visible(timeout=WAIT_MS)
        crontab = panel.locator(".apsnb-field-crontab input")
        expect(crontab).to_have_value("*/5 * * * *")
        page.set_viewport_size({"width": 900, "height": 1000})
        page.wait_for_timeout(500)
        assert page.evaluate(_OVERFLOW_JS) == []  # the editor fits a narrow page
        page.set_viewport_size({"width": 1440, "height": 1000})
        crontab.click()
        crontab.press("Control+a")
        crontab.press_sequentially("*/10 * * * *", delay=20)
        expect(panel).to_contain_text("every 10 minutes", timeout=WAIT_MS)
        page.locator(".apsnb-dashboard").get_by_role("button", name="Apply").click()
        expect(message).to_contain_text(
            f"changed the trigger of '{report}'", timeout=WAIT_MS
        )
        expect(panel).to_be_hidden()
        expect(session.row(report)).to_contain_text("every 10 minutes")
    with session.step("remove"):
        session.click_row_button(report, "Remove this schedule")
        session.click_row_button(report, "Remove it")
        expect(session.row(report)).to_have_count(0, timeout=WAIT_MS)
        expect(message).to_contain_text(f"removed '{report}'")


def test_the_console_has_no_errors(session: Session) -> None:
    assert session.console_errors == []


def _shrink(path: Path) -> None:
    """Fewer colours: a screenshot of text and flat colours stays sharp at 64."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=64, dither=Image.Dither.NONE)
    small.save(path, optimize=True)
