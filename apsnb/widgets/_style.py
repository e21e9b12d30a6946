"""The widgets' stylesheet: what ipywidgets' layout options cannot say.

A ``<style>`` element inside a hidden HTML widget applies to the whole page, so the
rules are scoped by the classes the widgets add to themselves (``apsnb-…``).
"""

from __future__ import annotations

import ipywidgets as widgets

ERROR_COLOR = "#c62828"

_CSS = f"""
.apsnb-invalid input, .apsnb-invalid select, .apsnb-invalid textarea {{
  border-color: {ERROR_COLOR} !important;
  box-shadow: inset 0 0 0 1px {ERROR_COLOR};
}}
.apsnb-fire-times {{ border-collapse: collapse; font-size: 0.9em; }}
.apsnb-fire-times th, .apsnb-fire-times td {{
  white-space: nowrap; padding: 1px 10px 1px 0; text-align: left; line-height: 1.4;
}}
.apsnb-composer .widget-html-content, .apsnb-dashboard .widget-html-content {{
  line-height: 1.4;
}}
.apsnb-feed .widget-html {{ margin-top: 1px; margin-bottom: 1px; }}
.apsnb-fire-times td.apsnb-number {{ text-align: right; color: #666; }}
.apsnb-timeline {{ max-width: 100%; height: auto; }}
.apsnb-row {{ border-top: 1px solid #e0e0e0; padding: 4px 0; }}
.apsnb-row-buttons .jupyter-button {{ width: 32px; padding: 0; margin: 0 2px; }}
.apsnb-row-buttons .apsnb-wide {{ width: auto; padding: 0 8px; }}
.apsnb-feed details summary {{ cursor: pointer; }}
.apsnb-feed pre {{
  white-space: pre-wrap; word-break: break-word; max-height: 16em; overflow: auto;
  margin: 2px 0 6px; padding: 4px 6px; background: #f6f8fa; font-size: 0.85em;
}}
.apsnb-history-table {{ border-collapse: collapse; font-size: 0.9em; width: 100%; }}
.apsnb-history-table th, .apsnb-history-table td {{
  text-align: left; vertical-align: top; padding: 1px 10px 1px 0; line-height: 1.4;
}}
.apsnb-history-table td.apsnb-detail {{ overflow-wrap: anywhere; }}
"""


def stylesheet() -> widgets.HTML:
    """A hidden widget holding the rules (one per top-level widget shown)."""
    return widgets.HTML(f"<style>{_CSS}</style>", layout=widgets.Layout(display="none"))
