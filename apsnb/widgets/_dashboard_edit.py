"""The dashboard's editor: a schedule's trigger in a composer, with Apply and Cancel."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as widgets

from ..abc import Trigger
from .composer import TriggerComposer


class EditPanel(widgets.VBox):
    """Shows one schedule's trigger in a :class:`TriggerComposer`, prefilled from it.

    Hidden until :meth:`edit`; **Apply** and **Cancel** call back the dashboard,
    which changes the schedule (``modify_schedule``) and closes the panel.
    """

    def __init__(
        self, on_apply: Callable[[], object], on_cancel: Callable[[], object]
    ) -> None:
        self.schedule_id: str | None = None
        self.composer: TriggerComposer | None = None
        self.title = widgets.HTML()
        self.apply_button = widgets.Button(
            description="Apply",
            icon="check",
            button_style="primary",
            tooltip="Give the schedule this trigger (it keeps its id and history)",
        )
        self.cancel_button = widgets.Button(
            description="Cancel", tooltip="Keep the schedule's trigger as it is"
        )
        self.apply_button.on_click(lambda _: on_apply())
        self.cancel_button.on_click(lambda _: on_cancel())
        self.buttons = widgets.HBox([self.apply_button, self.cancel_button])
        super().__init__(
            [],
            layout=widgets.Layout(
                display="none", border="1px solid #90caf9", padding="6px 8px",
                margin="6px 0",
            ),
        )  # fmt: skip

    def edit(self, schedule_id: str, trigger: Trigger) -> TriggerComposer:
        """Show ``trigger`` in a new composer, to edit the schedule ``schedule_id``.

        :raises InvalidTriggerArgumentType: for a trigger the composer cannot show
        """
        composer = TriggerComposer.from_trigger(trigger, n=5)
        self.close_editor()
        self.schedule_id, self.composer = schedule_id, composer
        self.title.value = (
            f"<b>Edit the trigger of {html.escape(repr(schedule_id))}</b>"
            "<span style='color:#666'> — change the fields, check the fire times, "
            "then Apply</span>"
        )
        self.children = [self.title, composer, self.buttons]
        self.layout.display = ""
        return composer

    def close_editor(self) -> None:
        """Hide the panel and close its composer."""
        composer, self.composer, self.schedule_id = self.composer, None, None
        self.children = []
        self.layout.display = "none"
        if composer is not None:
            composer.close()

    def close(self) -> None:
        self.close_editor()
        for widget in (self.title, self.apply_button, self.cancel_button, self.buttons):
            widget.close()
        super().close()
